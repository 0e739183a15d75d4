"""3D Faces / 3D Chairs: the manual downloads as image folders, and their errors."""

import numpy as np
import pytest
from PIL import Image

from infogan_tf import configs, data


def _chair(path, size=120, box=(30, 40, 70, 100), value=40):
    img = np.full((size, size), 255, np.uint8)  # white background, as the chair renders
    x0, y0, x1, y1 = box
    img[y0:y1, x0:x1] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).convert("RGB").save(path)


def test_chairs_layout_is_found_recursively_and_cropped_to_the_object(tmp_path):
    root = tmp_path / "3d_chairs" / "rendered_chairs"
    for chair in ("1a6f615e8b1b5ae4dbbc9440457e303e", "1a8bbf2994788e2743e99e0cae970928"):
        for view in range(3):
            _chair(root / chair / "renders" / f"image_{view:03d}_p020_t000_r096.png")
    (root / "all_chair_names.mat").write_bytes(b"not an image")  # other files are ignored
    split = data.load_dataset(configs.parse_dataset({"source": "image_folder", "path": "3d_chairs", "size": 64, "crop": "bbox"}),
                              "train", str(tmp_path))
    assert split.images.shape == (6, 64, 64, 1) and split.labels is None
    img = split.images[0, ..., 0].astype(int)
    # The 40x60 object fills the square crop's height (5% margin), centred: dark middle, white sides.
    assert img[32, 32] < 60 and img[32, 2] > 240 and img[32, 61] > 240
    assert img[5, 32] < 60 and img[58, 32] < 60


def test_faces_without_crop_are_resized_whole_and_grey(tmp_path):
    folder = tmp_path / "3d_faces" / "face_001"
    folder.mkdir(parents=True)
    rgb = np.zeros((150, 150, 3), np.uint8)
    rgb[:, :75] = (255, 0, 0)
    Image.fromarray(rgb).save(folder / "a.png")
    split = data.load_dataset(configs.parse_dataset({"source": "image_folder", "path": "3d_faces", "size": 32, "crop": None}),
                              "train", str(tmp_path))
    assert split.images.shape == (1, 32, 32, 1)
    left, right = split.images[0, :, :16, 0].mean(), split.images[0, :, 16:, 0].mean()
    assert left == pytest.approx(76, abs=2) and right == 0  # ITU-R 601 luma of pure red is 76


def test_missing_folder_names_the_path_and_where_to_get_it(tmp_path):
    opts = configs.parse_dataset({"source": "image_folder", "name": "3D Chairs", "path": "3d_chairs", "size": 64,
                                  "layout": "rendered_chairs/<chair>/renders/*.png",
                                  "get": "Download rendered_chairs.tar by hand."})
    with pytest.raises(data.DataUnavailableError) as e:
        data.load_dataset(opts, "train", str(tmp_path))
    msg = str(e.value)
    assert str(tmp_path / "3d_chairs") in msg and "rendered_chairs/<chair>/renders" in msg and "rendered_chairs.tar" in msg


def test_empty_folder_and_unreadable_image_are_reported(tmp_path):
    (tmp_path / "3d_faces").mkdir()
    opts = configs.parse_dataset({"source": "image_folder", "path": "3d_faces", "size": 32})
    with pytest.raises(data.DataUnavailableError, match="no image files"):
        data.load_dataset(opts, "train", str(tmp_path))
    bad = tmp_path / "3d_faces" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(data.DataUnavailableError) as e:
        data.load_dataset(opts, "train", str(tmp_path))
    assert "broken.png" in str(e.value) and "cannot read image file" in str(e.value)


def test_bad_dataset_entries_are_named():
    with pytest.raises(configs.ConfigError, match="'ftp' is not a dataset source .*valid: tfds, image_folder, shapes"):
        configs.parse_dataset({"source": "ftp"})
    with pytest.raises(configs.ConfigError, match="42 is not a dataset source"):
        configs.parse_dataset(42)
    with pytest.raises(configs.ConfigError, match=r"dataset.crop: 'box' is not valid; did you mean 'bbox'"):
        configs.parse_dataset({"source": "image_folder", "path": "x", "size": 32, "crop": "box"})
