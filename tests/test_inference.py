"""The one sampling module: latent batches from the training prior, codes by name and value,
batched generate and encode."""

import collections

import numpy as np
import pytest
import tensorflow as tf

from infogan_tf import configs, inference

SPEC = configs.parse_latent(
    {
        "noise_dim": 4,
        "codes": [
            {"name": "c1", "type": "categorical", "k": 3},
            {"name": "c2", "type": "continuous"},
            {"name": "c3", "type": "continuous", "dim": 2, "low": 0.0, "high": 2.0},
        ],
    }
)
Arch = collections.namedtuple("Arch", "image_shape output_activation")


class EchoModel:
    """A generator whose "image" [1, input_dim, 1] is its input vector, counting its calls."""

    spec = SPEC
    arch = Arch((2, 2, 1), "tanh")

    def __init__(self):
        self.batches = []

    def generate(self, z, codes):
        self.batches.append(int(z.shape[0]))
        return SPEC.generator_input(z, codes)[:, None, :, None]

    def encode(self, images):
        x = tf.reshape(images, [-1, 4])
        return tf.reduce_mean(x, axis=1), {"c1": {"probs": tf.nn.softmax(x[:, :3])}}


def test_sample_latents_draw_the_training_prior():
    lat = inference.sample_latents(SPEC, 5, seed=3)
    z, codes = SPEC.sample(tf.random.Generator.from_seed(3), 5)  # what the train step calls
    np.testing.assert_array_equal(lat.z, z.numpy())
    for code, c in zip(SPEC.codes, codes):
        np.testing.assert_array_equal(lat.codes[code.name], c.numpy())
    assert lat.z.dtype == np.float32 and lat.codes["c3"].shape == (5, 2)


def test_setting_codes_by_name_keeps_the_other_draws():
    free = inference.sample_latents(SPEC, 4, seed=1)
    lat = inference.sample_latents(SPEC, 4, seed=1, codes={"c1": 2, "c2": [0.5, -1, 2, 0]})
    np.testing.assert_array_equal(lat.z, free.z)
    np.testing.assert_array_equal(lat.codes["c3"], free.codes["c3"])
    np.testing.assert_array_equal(lat.codes["c1"], np.eye(3, dtype=np.float32)[[2, 2, 2, 2]])
    np.testing.assert_array_equal(lat.codes["c2"][:, 0], [0.5, -1, 2, 0])
    per_row = inference.sample_latents(SPEC, 3, codes={"c1": [0, 2, 1], "c3": 1.5})
    assert per_row.codes["c1"].argmax(1).tolist() == [0, 2, 1]
    np.testing.assert_array_equal(per_row.codes["c3"], np.full((3, 2), 1.5))


def test_row_latents_cycle_the_categories_unless_set():
    assert inference.row_latents(SPEC, 7).codes["c1"].argmax(1).tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert inference.row_latents(SPEC, 2, codes={"c1": 1}).codes["c1"].argmax(1).tolist() == [1, 1]
    np.testing.assert_array_equal(inference.row_latents(SPEC, 7, seed=4).z, inference.sample_latents(SPEC, 7, seed=4).z)


def test_traverse_changes_only_the_traversed_code_along_a_row():
    values = [-2.0, 0.0, 2.0]
    lat = inference.traverse_latents(SPEC, "c2", values, rows=4, seed=5, codes={"c3": 0.25})
    rows = inference.row_latents(SPEC, 4, seed=5, codes={"c3": 0.25})
    assert lat.z.shape == (12, 4)
    for r in range(4):
        for j, v in enumerate(values):
            i = r * 3 + j
            np.testing.assert_array_equal(lat.z[i], rows.z[r])
            np.testing.assert_array_equal(lat.codes["c1"][i], rows.codes["c1"][r])
            np.testing.assert_array_equal(lat.codes["c3"][i], [0.25, 0.25])
            assert lat.codes["c2"][i, 0] == v
    cat = inference.traverse_latents(SPEC, "c1", [2, 0], rows=2)
    assert cat.codes["c1"].argmax(1).tolist() == [2, 0, 2, 0]


def test_generate_batches_and_traverse_arranges_rows_by_values():
    model = EchoModel()
    lat = inference.traverse_latents(SPEC, "c2", [-1.0, 0.0, 1.0, 0.5], rows=5, seed=2)
    grid = inference.traverse(model, "c2", [-1.0, 0.0, 1.0, 0.5], rows=5, seed=2, batch_size=6)
    assert model.batches == [6, 6, 6, 2]
    assert grid.shape == (5, 4, 1, SPEC.input_dim, 1)
    want = np.concatenate([lat.z] + lat.in_spec_order(SPEC), axis=1).reshape(5, 4, SPEC.input_dim)
    np.testing.assert_array_equal(grid[:, :, 0, :, 0], want)
    images = inference.sample(model, 7, seed=1, codes={"c1": 1})
    np.testing.assert_array_equal(images[:, 0, 4:7, 0], np.tile([0, 1, 0], (7, 1)))


@pytest.mark.parametrize(
    "codes, message",
    [
        (
            {"c9": 1},
            r"no code named 'c9'; the codes are c1: categorical, 3 categories \(an index 0..2\); "
            r"c2: continuous, a float",
        ),
        ({"c1": 3}, r"code 'c1' has 3 categories: valid indices are 0..2, got 3"),
        ({"c1": [0, -1]}, r"valid indices are 0..2, got -1"),
        ({"c1": 1.0}, r"code 'c1' is categorical with 3 categories: give a category index, an integer 0..2"),
        ({"c1": True}, r"code 'c1' is categorical"),
        ({"c1": [0, 1, 2]}, r"code 'c1': give one category index or 2 \(one per row\)"),
        ({"c2": "high"}, r"code 'c2' is continuous: give a float"),
        ({"c2": float("nan")}, r"code 'c2': values must be finite"),
        ({"c3": [1.0, 2.0, 3.0]}, r"code 'c3': give a float, 2 floats \(one per row\) or an array \[2, 2\]"),
    ],
)
def test_a_code_it_cannot_take_is_a_value_error_naming_the_code(codes, message):
    with pytest.raises(ValueError, match=message):
        inference.sample_latents(SPEC, 2, codes=codes)


def test_traverse_errors():
    with pytest.raises(ValueError, match="code 'c2' is traversed; it cannot also be set"):
        inference.traverse_latents(SPEC, "c2", [0.0, 1.0], rows=2, codes={"c2": 0.5})
    with pytest.raises(ValueError, match="values must be a non-empty 1-D sequence"):
        inference.traverse_latents(SPEC, "c2", 0.5, rows=2)
    with pytest.raises(ValueError, match="no code named 'c4'"):
        inference.traverse_latents(SPEC, "c4", [0.0], rows=2)
    with pytest.raises(ValueError, match="code 'c1' has 3 categories"):
        inference.traverse_latents(SPEC, "c1", [0, 5], rows=2)
    with pytest.raises(ValueError, match=r"\(n, rows\) must be a positive integer, got 0"):
        inference.traverse_latents(SPEC, "c2", [0.0], rows=0)


def test_model_input_takes_uint8_or_floats_in_the_generator_range():
    u8 = np.array([0, 255, 51, 102], np.uint8).reshape(1, 2, 2, 1)
    np.testing.assert_allclose(inference.as_model_input(u8, (2, 2, 1), "tanh").ravel(), [-1, 1, -0.6, -0.2], atol=1e-6)
    np.testing.assert_allclose(inference.as_model_input(u8[..., 0], (2, 2, 1), "sigmoid").ravel(), [0, 1, 0.2, 0.4])
    floats = np.full((3, 2, 2, 1), -0.5, np.float64)
    assert inference.as_model_input(floats, (2, 2, 1), "tanh").dtype == np.float32
    with pytest.raises(ValueError, match=r"G's range \[0, 1\] \(sigmoid output\), got values in \[-0.5, -0.5\]"):
        inference.as_model_input(floats, (2, 2, 1), "sigmoid")
    with pytest.raises(ValueError, match=r"images must be \[N, 2, 2, 1\], got shape \(2, 2, 1\); a single image"):
        inference.as_model_input(u8[0], (2, 2, 1), "tanh")
    with pytest.raises(ValueError, match="uint8 .* or floats .* got dtype int64"):
        inference.as_model_input(u8.astype(np.int64), (2, 2, 1), "tanh")


def test_encode_batches_and_gives_numpy_per_code():
    images = np.random.default_rng(0).integers(0, 256, (7, 2, 2, 1)).astype(np.uint8)
    d_prob, post = inference.encode(EchoModel(), images, batch_size=3)
    x = images.reshape(7, 4).astype(np.float32) / 127.5 - 1.0
    np.testing.assert_allclose(d_prob, x.mean(1), atol=1e-6)
    assert post["c1"]["probs"].shape == (7, 3) and isinstance(post["c1"]["probs"], np.ndarray)


def test_flat_outputs_round_trip_and_unit_range():
    post = SPEC.posteriors(tf.zeros([2, SPEC.q_dim]))
    flat = inference.flat_outputs(tf.ones([2]), post)
    assert sorted(flat) == ["c1_probs", "c2_mean", "c2_std", "c3_mean", "c3_std", "d_prob"]
    d_prob, back = inference.nested_outputs(SPEC, flat)
    assert {c: sorted(p) for c, p in back.items()} == {c: sorted(p) for c, p in post.items()}
    assert inference.image_range("tanh") == (-1.0, 1.0)
    np.testing.assert_allclose(inference.to_unit_range(np.array([-1.0, 0.0, 1.0]), "tanh"), [0, 0.5, 1])
