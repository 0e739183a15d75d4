"""SUMMARY.md is read from the JSON records: what a categorical code separates within each class."""

import json

from infogan_tf import report


def test_summary_tables_what_the_categories_separate(tmp_path):
    per_class = {
        "square": {
            "count": 10,
            "categories": [0, 4, 6],
            "eta_squared": {"scale": 0.01, "rotation": 0.8123, "x": 0.0, "y": 0.02},
            "category_means": {},
        },
        "ellipse": {
            "count": 5,
            "categories": [5, 0, 0],
            "eta_squared": {"scale": 0.0, "rotation": 0.0, "x": 0.0, "y": 0.0},
            "category_means": {},
        },
    }
    untrained = {"square": dict(per_class["square"], eta_squared={"scale": 0.1, "rotation": 0.05, "x": 0.2, "y": 0.3})}
    record = {
        "step": 800,
        "num_train_images": 100,
        "train_wall_seconds": 60.0,
        "commit": "abc",
        "command": "python -m infogan_tf.reproduce --figure=shapes_chairs",
        "category_factors": {"c1": per_class},
        "untrained": {"category_factors": {"c1": untrained}},
    }
    (tmp_path / "shapes_chairs_metrics.json").write_text(json.dumps(record))
    text = report.summary(str(tmp_path))
    assert "### shapes_chairs: what c1's categories separate within each class (test split)" in text
    assert "| class | scale | rotation | x | y |" in text
    assert "| square | 0.010 (0.100) | 0.812 (0.050) | 0.000 (0.200) | 0.020 (0.300) |" in text
    assert "| ellipse | 0.000 | 0.000 | 0.000 | 0.000 |" in text
    assert "Images per category: square [0, 4, 6]; ellipse [5, 0, 0]." in text


def test_summary_tables_which_class_g_draws_for_each_category(tmp_path):
    drawn = {
        "classes": ["square", "ellipse", "triangle"],
        "rows": 300,
        "classifier_accuracy": 0.998,
        "codes": {"c1": [[291, 2, 7], [277, 15, 8], [80, 193, 27]]},
        "method": "m",
    }
    record = {
        "step": 800,
        "num_train_images": 100,
        "train_wall_seconds": 60.0,
        "commit": "abc",
        "command": "python -m infogan_tf.reproduce --figure=shapes_chairs",
        "generated_classes": drawn,
        "untrained": {"generated_classes": dict(drawn, codes={"c1": [[0, 300, 0]] * 3})},
    }
    (tmp_path / "shapes_chairs_metrics.json").write_text(json.dumps(record))
    text = report.summary(str(tmp_path))
    assert "### shapes_chairs: which class G draws for each category of c1" in text
    assert "300 samples per category" in text and "99.8% right on the real test images" in text
    assert "| category | square | ellipse | triangle |" in text
    assert "| 2 | 80 (0) | 193 (300) | 27 (0) |" in text
