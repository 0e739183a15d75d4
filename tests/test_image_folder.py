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
    split = data.load_dataset(
        configs.parse_dataset({"source": "image_folder", "path": "3d_chairs", "size": 64, "crop": "bbox"}),
        "train",
        str(tmp_path),
    )
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
    split = data.load_dataset(
        configs.parse_dataset({"source": "image_folder", "path": "3d_faces", "size": 32, "crop": None}),
        "train",
        str(tmp_path),
    )
    assert split.images.shape == (1, 32, 32, 1)
    left, right = split.images[0, :, :16, 0].mean(), split.images[0, :, 16:, 0].mean()
    assert left == pytest.approx(76, abs=2) and right == 0  # ITU-R 601 luma of pure red is 76


def test_missing_folder_names_the_path_and_where_to_get_it(tmp_path):
    opts = configs.parse_dataset(
        {
            "source": "image_folder",
            "name": "3D Chairs",
            "path": "3d_chairs",
            "size": 64,
            "layout": "rendered_chairs/<chair>/renders/*.png",
            "get": "Download rendered_chairs.tar by hand.",
        }
    )
    with pytest.raises(data.DataUnavailableError) as e:
        data.load_dataset(opts, "train", str(tmp_path))
    msg = str(e.value)
    assert (
        str(tmp_path / "3d_chairs") in msg and "rendered_chairs/<chair>/renders" in msg and "rendered_chairs.tar" in msg
    )


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


# --- what a folder must hold, and the errors that name its files (issue 19, your own images) -------
def _folder(path, n=3, size=(40, 40), mode="L"):
    """``n`` images of one PIL ``mode`` and ``size`` in ``path``: a bright square on a dark ground."""
    path.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = np.zeros(size[::-1], np.uint8)
        img[5 + i : 20 + i, 5:25] = 200
        Image.fromarray(img).convert(mode).save(path / f"img_{i:03d}.png")
    return path


def _load(root, size=32, crop=None, grey=True, **kw):
    return data.load_image_folder(str(root), size, crop, grey, **kw)


def test_missing_folder_names_every_place_looked_at(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    opts = configs.parse_dataset({"source": "image_folder", "path": "my_images", "size": 32, "get": "Pass it."})
    with pytest.raises(data.DataUnavailableError) as e:
        data.load_dataset(opts, "train", str(tmp_path / "data"))
    msg = str(e.value)
    assert repr(str(tmp_path / "data" / "my_images")) + " (under the data dir)" in msg
    assert repr(str(tmp_path / "my_images")) + " (under the current directory)" in msg and "Pass it." in msg
    absolute = configs.parse_dataset({"source": "image_folder", "path": str(tmp_path / "nowhere"), "size": 32})
    with pytest.raises(data.DataUnavailableError, match=f"expected the images in '{tmp_path / 'nowhere'}', and"):
        data.load_dataset(absolute, "train", str(tmp_path / "data"))
    (tmp_path / "a_file.png").write_bytes(b"")
    a_file = configs.parse_dataset({"source": "image_folder", "path": str(tmp_path / "a_file.png"), "size": 32})
    with pytest.raises(data.DataUnavailableError, match=r"a_file.png' \(a file, not a folder\)"):
        data.load_dataset(a_file, "train", None)


def test_an_empty_path_says_how_to_pass_the_folder():
    opts = configs.parse_dataset({"source": "image_folder", "name": "your images", "path": "", "size": 32})
    with pytest.raises(
        data.DataUnavailableError,
        match=r"your images: dataset.path is empty: pass the folder of "
        r"images with --set dataset.path=DIR",
    ):
        data.load_dataset(opts, "train", None)


def test_a_relative_path_is_found_under_the_data_dir_then_the_current_directory(tmp_path, monkeypatch):
    _folder(tmp_path / "here" / "imgs", n=2)
    _folder(tmp_path / "data" / "imgs", n=3)
    monkeypatch.chdir(tmp_path / "here")
    opts = configs.parse_dataset({"source": "image_folder", "path": "imgs", "size": 32, "crop": None})
    assert len(data.load_dataset(opts, "train", str(tmp_path / "data")).images) == 3  # the data dir first
    assert len(data.load_dataset(opts, "train", str(tmp_path / "elsewhere")).images) == 2  # then ./imgs
    monkeypatch.setenv("HOME", str(tmp_path / "here"))
    home = configs.parse_dataset({"source": "image_folder", "path": "~/imgs", "size": 32, "crop": None})
    assert len(data.load_dataset(home, "train", str(tmp_path / "data")).images) == 2  # ~ as it is


def test_an_image_cut_short_is_named(tmp_path):
    root = _folder(tmp_path / "imgs", n=2, size=(64, 64))
    whole = (root / "img_001.png").read_bytes()
    (root / "img_001.png").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(data.DataUnavailableError, match=f"cannot read image file '{root / 'img_001.png'}'"):
        _load(root)


def test_mixed_sizes_name_both_files_and_what_to_do(tmp_path):
    root = _folder(tmp_path / "imgs", n=2, size=(40, 40))
    _folder(tmp_path / "imgs" / "more", n=1, size=(48, 40))
    with pytest.raises(data.ImageFolderError) as e:
        _load(root)
    msg = str(e.value)
    assert (
        f"'{root / 'img_000.png'}' (40x40, mode L, grey)" in msg and f"'{root / 'more' / 'img_000.png'}' (48x40" in msg
    )
    assert "Resize them to one size" in msg and "--set dataset.crop=center" in msg and "--set dataset.crop=bbox" in msg
    for crop in ("center", "bbox"):  # each image is cropped to a square first: sizes may differ
        assert _load(root, crop=crop).shape == (3, 32, 32, 1)


def test_grey_and_colour_files_together_are_named_with_their_modes(tmp_path):
    root = _folder(tmp_path / "imgs", n=2, mode="RGB")
    _folder(tmp_path / "imgs" / "z", n=1, mode="L")
    for grey in (True, False):
        with pytest.raises(data.ImageFolderError) as e:
            _load(root, grey=grey)
        msg = str(e.value)
        assert "grey and colour image files" in msg and "must be all grey or all colour" in msg
        assert f"'{root / 'img_000.png'}' (40x40, mode RGB, colour)" in msg
        assert f"'{root / 'z' / 'img_000.png'}' (40x40, mode L, grey)" in msg


def test_grey_files_for_colour_images_are_refused_and_mixed_ones_found(tmp_path):
    root = _folder(tmp_path / "imgs", n=3, mode="L")
    with pytest.raises(
        data.ImageFolderError,
        match=r"are grey \(e.g. .*img_000.png.*mode L.*dataset.grey=false asks "
        r"for colour images: train a grey experiment",
    ):
        _load(root, grey=False)
    _folder(tmp_path / "imgs" / "z", n=1, mode="RGB")  # the first file is grey, a later one colour
    with pytest.raises(data.ImageFolderError, match=r"grey and colour .*img_000.png.*mode L.*z/img_000.png.*mode RGB"):
        _load(root, grey=False)


def test_palette_alpha_and_16_bit_files_are_read_as_documented(tmp_path):
    grey = np.tile(np.arange(0, 256, 8, dtype=np.uint8), (32, 1))  # 32x32, columns 0, 8, ..., 248
    root = tmp_path / "imgs"
    root.mkdir()
    Image.fromarray(grey).convert("P").save(root / "a_palette_grey.png")  # a grey palette: grey
    Image.fromarray(grey).convert("LA").save(root / "b_alpha.png")
    Image.fromarray(grey.astype(np.uint16) * 257).save(root / "c_16bit.png")
    with Image.open(root / "c_16bit.png") as im:
        assert im.mode.startswith("I")
    images = _load(root)
    for i in range(3):
        np.testing.assert_array_equal(images[i, ..., 0], grey)
    # Transparent pixels become white; a colour palette counts as colour.
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[:, 16:] = (255, 0, 0, 255)
    colour = tmp_path / "colour"
    colour.mkdir()
    Image.fromarray(rgba).save(colour / "a_rgba.png")
    Image.fromarray(rgba[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE).save(colour / "b_palette.png")
    with Image.open(colour / "b_palette.png") as im:
        assert im.mode == "P" and data.image_kind(im) == "colour"
    images = _load(colour, grey=False)
    assert images[0, 0, 0].tolist() == [255, 255, 255] and images[0, 0, 31].tolist() == [255, 0, 0]
    assert images[1, 0, 0].tolist() == [0, 0, 0] and images[1, 0, 31].tolist() == [255, 0, 0]


def test_center_crop_takes_the_central_square(tmp_path):
    img = np.zeros((40, 80), np.uint8)
    img[:, 20:60] = 255  # the central 40x40 is white, the sides black
    (tmp_path / "imgs").mkdir()
    Image.fromarray(img).save(tmp_path / "imgs" / "wide.png")
    assert _load(tmp_path / "imgs", crop="center").min() == 255
    whole = _load(tmp_path / "imgs", crop=None)[0, :, :, 0]
    assert whole[:, 0].max() == 0 and whole[:, 16].min() == 255  # stretched: black sides kept


def test_a_folder_is_read_once_for_both_splits_and_again_when_it_changes(tmp_path, monkeypatch):
    root = _folder(tmp_path / "data" / "imgs", n=5)
    opts = configs.parse_dataset(
        {"source": "image_folder", "path": "imgs", "size": 32, "crop": None, "num_test_images": 2}
    )
    reads = []
    read = data._read_images
    monkeypatch.setattr(data, "_read_images", lambda root, paths, *a: reads.append(len(paths)) or read(root, paths, *a))
    train = data.load_dataset(opts, "train", str(tmp_path / "data"))
    test = data.load_dataset(opts, "test", str(tmp_path / "data"))
    assert reads == [5] and len(test.images) == 2 and not train.images.flags.writeable
    np.testing.assert_array_equal(test.images, train.images[[0, 4]])  # evenly spaced: the first and the last
    assert len(data.load_image_folder(str(root), 32, None, limit=2)) == 2 and reads == [5]  # from memory
    _folder(root / "new", n=1)  # a file added: read again
    assert len(data.load_dataset(opts, "train", str(tmp_path / "data")).images) == 6 and reads == [5, 6]


def test_a_big_folder_logs_its_progress(tmp_path, monkeypatch):
    root = _folder(tmp_path / "imgs", n=5)
    monkeypatch.setattr(data, "PROGRESS_EVERY", 2)
    said = []  # what data.py logs, whatever the logging setup of the process (absl's handler or not)
    monkeypatch.setattr(data.logging, "info", lambda fmt, *args: said.append(fmt % args))
    _load(root)
    text = "\n".join(said)
    assert f"{root}: reading 5 image files" in text
    assert "read 2 of 5 image files" in text and "read 4 of 5 image files" in text
