"""``load_dataset`` reads svhn_cropped and celeb_a exactly as the real TFDS builders prepare them.

Nothing can be downloaded here, so tiny source files are fabricated in the exact formats the TFDS
builders download (``svhn_cropped``: MATLAB v5 ``*_32x32.mat`` with ``X`` uint8 [32, 32, 3, N] and
``y`` [N, 1] in 1..10; ``celeb_a``: ``img_align_celeba.zip`` holding ``img_align_celeba/000001.jpg``
... 178 wide x 218 high, plus the four CelebA ``.txt`` lists). Only
``tfds.download.DownloadManager.download`` is replaced: it maps each of the builder's real URLs to
the fabricated file (named as the real download is, see the builders' checksums.tsv). Everything
else is real: ``infogan_tf.data.load_split`` finds the dataset unprepared and calls the real
builder's ``download_and_prepare``, which parses the fabricated files (``iter_archive`` really opens
the zip) and writes real TFRecords, which are then read back.
"""

import os
import zipfile

import numpy as np
import pytest
import scipy.io
import tensorflow_datasets as tfds
from etils import epath
from PIL import Image

from infogan_tf import configs, data

SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"
DRIVE = "https://drive.google.com/uc?export=download&id="
CELEBA_URLS = {  # the builder's URLs -> the file names the real downloads have
    DRIVE + "0B7EVK8r0v71pZjFTYXZWM3FlRnM": "img_align_celeba.zip",
    DRIVE + "0B7EVK8r0v71pY0NSMzRuSXJEVkk": "list_eval_partition.txt",
    DRIVE + "0B7EVK8r0v71pblRyaVFSWGxPY0U": "list_attr_celeba.txt",
    DRIVE + "0B7EVK8r0v71pd0FJY3Blby1HUTQ": "list_landmarks_align_celeba.txt",
    DRIVE + "1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS": "identity_CelebA.txt",
}
ATTR_HEADINGS = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose "
    "Black_Hair Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee "
    "Gray_Hair Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard "
    "Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair "
    "Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young"
).split()
LANDMARK_HEADINGS = (
    "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y"
).split()

# CelebA fabrication: 218 high x 178 wide. Outside the central 108x108 (rows 55..162, cols 35..142)
# the image is BORDER; inside, a 27-pixel frame of FRAME around a 54x54 core of the image's own
# colour. 108 -> 32 with area averaging maps 27 source pixels to exactly 8 output pixels, so the
# correct crop gives output rows/cols 0..7 and 24..31 = FRAME and 8..23 = the core colour; a crop
# shifted by one pixel pulls BORDER into the edge, a smaller or larger one smears FRAME into the core.
H, W, CROP, SIZE = 218, 178, 108, 32
TOP, LEFT = (H - CROP) // 2, (W - CROP) // 2
BORDER, FRAME = (0, 0, 255), (250, 250, 20)
CORES = [
    (200, 30, 30),
    (30, 160, 30),
    (150, 30, 150),
    (30, 150, 150),
    (120, 120, 120),
    (230, 120, 30),
    (90, 40, 20),
    (40, 40, 90),
    (200, 90, 160),
]
PARTITION = [0, 0, 0, 0, 1, 1, 2, 2, 2]  # 000001..000004 train, 000005..6 validation, 000007..9 test
# JPEG error: at most 11 here after the crop and the area resize, while a crop off by one pixel, or
# 100 or 116 wide, is off by >= 75; at most 24 on a raw pixel, right at the colour edges.
JPEG_TOLERANCE = 24
RAW_JPEG_TOLERANCE = 32


def _fake_download(url_to_path, calls):
    """A DownloadManager.download that serves fabricated files for the builder's exact URLs."""

    def one(url):
        url = str(getattr(url, "url", url))
        calls.append(url)
        if url not in url_to_path:
            raise AssertionError(f"builder asked for an unexpected URL {url!r}")
        return epath.Path(url_to_path[url])

    def download(self, url_or_urls):
        if isinstance(url_or_urls, dict):
            return {k: one(v) for k, v in url_or_urls.items()}
        if isinstance(url_or_urls, (list, tuple)):
            return type(url_or_urls)(one(v) for v in url_or_urls)
        return one(url_or_urls)

    return download


def _not_expected(name):
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} was called")

    return fail


def _patch_downloads(mp, url_to_path, calls):
    mp.setattr(tfds.download.DownloadManager, "download", _fake_download(url_to_path, calls))
    # The builders do not extract anything; if one ever does, these paths are not faked.
    mp.setattr(tfds.download.DownloadManager, "download_and_extract", _not_expected("download_and_extract"))
    mp.setattr(tfds.download.DownloadManager, "extract", _not_expected("extract"))
    mp.setattr(data, "_reachable", lambda host, port=443, timeout=3.0: True)


def _forbid_downloads(mp):
    """Makes any download, extraction, dataset generation or network check an error."""
    for name in ("__init__", "download", "download_and_extract", "extract", "iter_archive"):
        mp.setattr(tfds.download.DownloadManager, name, _not_expected(f"DownloadManager.{name}"))
    mp.setattr(
        tfds.core.GeneratorBasedBuilder,
        "_download_and_prepare",
        _not_expected("GeneratorBasedBuilder._download_and_prepare"),
    )
    mp.setattr(data, "_reachable", _not_expected("_reachable (a prepared dataset needs no network)"))


def _prepare_via_load_dataset(tmp_root, url_to_path, loads):
    """Runs ``load_dataset`` on an empty data dir (so that load_split prepares it) and returns the
    loaded splits and the URLs the builder downloaded."""
    data_dir = tmp_root / "tfds"
    data_dir.mkdir()
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        _patch_downloads(mp, url_to_path, calls)
        results = {
            key: data.load_dataset(configs.parse_dataset(dataset), split, str(data_dir))
            for key, (dataset, split) in loads.items()
        }
    return str(data_dir), results, calls


# ----------------------------------------------------------------------------------------- SVHN


@pytest.fixture(scope="module")
def svhn(tmp_path_factory):
    root = tmp_path_factory.mktemp("svhn")
    rng = np.random.default_rng(0)
    src = root / "downloads"
    src.mkdir()
    fabricated, url_to_path = {}, {}
    for split, labels in (
        ("train", [3, 10, 1, 7, 10, 5, 2, 9, 4, 6, 8, 10]),
        ("test", [10, 1, 6, 10, 9]),
        ("extra", [2, 10]),
    ):
        n = len(labels)
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        # The real files: X uint8 [32, 32, 3, N], y uint8 [N, 1] with 10 for the digit 0.
        X = np.ascontiguousarray(np.transpose(images, (1, 2, 3, 0)))
        y = np.array(labels, np.uint8).reshape(n, 1)
        path = src / f"{split}_32x32.mat"
        scipy.io.savemat(str(path), {"X": X, "y": y}, format="5")
        url_to_path[SVHN_URL + f"{split}_32x32.mat"] = str(path)
        fabricated[split] = (images, np.array(labels))
    data_dir, results, calls = _prepare_via_load_dataset(
        root, url_to_path, {"train": ("svhn_cropped", "train"), "test": ("svhn_cropped", "test")}
    )
    return dict(data_dir=data_dir, fabricated=fabricated, results=results, calls=calls)


def _assert_svhn_split(loaded, images, labels):
    assert loaded.images.dtype == np.uint8 and loaded.images.shape == images.shape
    assert loaded.labels is not None and loaded.labels.shape == (len(images),)
    assert set(loaded.labels.tolist()) <= set(range(10))
    # TFDS stores examples in its own (hashed-key) order: match images by their bytes.
    by_pixels = {img.tobytes(): i for i, img in enumerate(images)}
    assert len(by_pixels) == len(images)
    matched = [by_pixels.get(img.tobytes()) for img in loaded.images]
    assert None not in matched, "a loaded image differs from every fabricated one"
    assert sorted(matched) == list(range(len(images))), "images lost or duplicated"
    expected = [labels[i] % 10 for i in matched]  # SVHN's label 10 is the digit 0
    np.testing.assert_array_equal(loaded.labels, expected)


def test_svhn_cropped_mat_files_load_with_labels_0_to_9(svhn):
    # load_split prepared the dataset through the builder, which asked for exactly the three files.
    assert sorted(svhn["calls"]) == sorted(SVHN_URL + f"{s}_32x32.mat" for s in ("train", "test", "extra"))
    assert os.path.isdir(os.path.join(svhn["data_dir"], "svhn_cropped", "3.1.0"))
    for split in ("train", "test"):
        images, labels = svhn["fabricated"][split]
        loaded = svhn["results"][split]
        _assert_svhn_split(loaded, images, labels)
        assert 0 in loaded.labels.tolist() and 10 not in loaded.labels.tolist()


# --------------------------------------------------------------------------------------- CelebA


def _celeba_image(core):
    img = np.empty((H, W, 3), np.uint8)
    img[:] = BORDER
    img[TOP : TOP + CROP, LEFT : LEFT + CROP] = FRAME
    img[TOP + 27 : TOP + 81, LEFT + 27 : LEFT + 81] = core
    return img


@pytest.fixture(scope="module")
def celeba(tmp_path_factory):
    root = tmp_path_factory.mktemp("celeba")
    src = root / "downloads"
    src.mkdir()
    names = [f"{i + 1:06d}.jpg" for i in range(len(CORES))]
    with zipfile.ZipFile(src / "img_align_celeba.zip", "w") as z:
        z.writestr("img_align_celeba/", b"")  # the real archive has the directory entry too
        for name, core in zip(names, CORES):
            jpg = src / name
            Image.fromarray(_celeba_image(core)).save(jpg, "JPEG", quality=95, subsampling=0)
            with Image.open(jpg) as im:
                assert im.size == (W, H)  # PIL: (width, height)
            z.write(jpg, f"img_align_celeba/{name}")
    rng = np.random.default_rng(1)
    with open(src / "list_eval_partition.txt", "w") as f:  # "000001.jpg 0", no header
        f.writelines(f"{name} {p}\n" for name, p in zip(names, PARTITION))
    with open(src / "identity_CelebA.txt", "w") as f:  # "000001.jpg 2880", no header
        f.writelines(f"{name} {rng.integers(1, 10178)}\n" for name in names)
    with open(src / "list_attr_celeba.txt", "w") as f:  # count, heading line, "000001.jpg -1  1 ..."
        f.write(f"{len(names)}\n" + " ".join(ATTR_HEADINGS) + " \n")
        for name in names:
            f.write(name + " " + " ".join(f"{v:2d}" for v in rng.choice([-1, 1], len(ATTR_HEADINGS))) + "\n")
    with open(src / "list_landmarks_align_celeba.txt", "w") as f:  # count, heading, padded ints
        f.write(f"{len(names)}\n" + " ".join(LANDMARK_HEADINGS) + "\n")
        for name in names:
            f.write(f"{name:<10} " + "".join(f"{v:5d}" for v in rng.integers(60, 160, 10)) + "\n")
    url_to_path = {url: str(src / fname) for url, fname in CELEBA_URLS.items()}
    dataset = {"source": "tfds", "name": "celeb_a", "crop": [CROP, CROP], "size": SIZE}
    data_dir, results, calls = _prepare_via_load_dataset(
        root, url_to_path, {"train": (dataset, "train"), "test": (dataset, "test")}
    )
    return dict(data_dir=data_dir, dataset=dataset, results=results, calls=calls)


def _expected_output(core):
    out = np.empty((SIZE, SIZE, 3), np.float64)
    out[:] = FRAME
    out[8:24, 8:24] = core
    return out


def _match_celeba(images):
    """For each loaded image, the index of the fabricated image it is (by its core colour)."""
    matched = []
    for img in images:
        centre = img[12:20, 12:20].reshape(-1, 3).mean(axis=0)
        matched.append(int(np.argmin([np.abs(centre - np.array(c)).max() for c in CORES])))
    return matched


def test_celeb_a_zip_and_lists_load_as_central_108_crop_at_32(celeba):
    assert sorted(celeba["calls"]) == sorted(CELEBA_URLS)
    assert os.path.isdir(os.path.join(celeba["data_dir"], "celeb_a", "2.1.0"))
    for split, ids in (("train", [0, 1, 2, 3]), ("test", [6, 7, 8])):
        loaded = celeba["results"][split]
        assert loaded.images.dtype == np.uint8 and loaded.images.shape == (len(ids), SIZE, SIZE, 3)
        assert loaded.labels is None  # celeb_a has no 'label' feature
        matched = _match_celeba(loaded.images)
        assert sorted(matched) == ids, f"{split}: wrong images (list_eval_partition not honoured?)"
        for img, i in zip(loaded.images, matched):
            err = np.abs(img.astype(np.float64) - _expected_output(CORES[i]))
            assert err.max() <= JPEG_TOLERANCE, (
                f"{split} image {i + 1:06d}: output deviates by up to {err.max():.0f} from the central "
                f"108x108 crop resized to 32 (max error per row {err.max(axis=(1, 2)).astype(int).tolist()})"
            )


def test_celeb_a_without_crop_is_the_full_218x178_image(celeba, monkeypatch):
    _forbid_downloads(monkeypatch)
    loaded = data.load_dataset(configs.parse_dataset({"source": "tfds", "name": "celeb_a"}), "test", celeba["data_dir"])
    assert loaded.images.dtype == np.uint8 and loaded.images.shape == (3, H, W, 3)
    cores = []
    for img in loaded.images:
        core = img[TOP + 30 : TOP + 78, LEFT + 30 : LEFT + 78].reshape(-1, 3).mean(axis=0)
        i = int(np.argmin([np.abs(core - np.array(c)).max() for c in CORES]))
        cores.append(i)
        full = _celeba_image(CORES[i])  # what was fabricated; JPEG rings a little at colour edges
        err = np.abs(img.astype(np.int64) - full)
        assert err.max() <= RAW_JPEG_TOLERANCE and err.mean() <= 3, (err.max(), err.mean())
    assert sorted(cores) == [6, 7, 8]


# ------------------------------------------------------------------------------ prepared reload


@pytest.mark.parametrize("which", ["svhn", "celeba"])
def test_second_load_of_a_prepared_dir_downloads_nothing(which, request, monkeypatch):
    prepared = request.getfixturevalue(which)
    _forbid_downloads(monkeypatch)
    data._load_split.cache_clear()  # load again, not the process's arrays of the first load
    if which == "svhn":
        again = data.load_dataset(configs.parse_dataset("svhn_cropped"), "train", prepared["data_dir"])
    else:
        again = data.load_dataset(configs.parse_dataset(prepared["dataset"]), "train", prepared["data_dir"])
    first = prepared["results"]["train"]
    np.testing.assert_array_equal(again.images, first.images)  # same prepared files, same order
    if first.labels is None:
        assert again.labels is None
    else:
        np.testing.assert_array_equal(again.labels, first.labels)


def test_a_decoded_split_is_kept_on_disk_and_decoded_again_when_its_files_change(svhn, monkeypatch, tmp_path):

    monkeypatch.setenv("INFOGAN_CACHE_DIR", str(tmp_path / "cache"))
    dataset = configs.parse_dataset("svhn_cropped")
    data._load_split.cache_clear()
    first = data.load_dataset(dataset, "train", svhn["data_dir"])
    [kept] = (tmp_path / "cache" / "tfds").glob("svhn_cropped_train_*.npz")
    # Another process (a cleared cache): the arrays come from the file, no image is decoded.
    data._load_split.cache_clear()
    with monkeypatch.context() as m:
        m.setattr(tfds.core.DatasetBuilder, "as_dataset", lambda *a, **k: pytest.fail("decoded again"))
        again = data.load_dataset(dataset, "train", svhn["data_dir"])
    np.testing.assert_array_equal(again.images, first.images)
    np.testing.assert_array_equal(again.labels, first.labels)
    assert not again.images.flags.writeable
    # A re-prepared dataset (its files changed) is decoded again, under another name.
    builder = tfds.builder("svhn_cropped", data_dir=svhn["data_dir"])
    for path in builder.info.splits["train"].filepaths:
        os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    data._load_split.cache_clear()
    data.load_dataset(dataset, "train", svhn["data_dir"])
    assert len(list((tmp_path / "cache" / "tfds").glob("svhn_cropped_train_*.npz"))) == 2
    # A damaged file is decoded again (with a warning) and rewritten.
    kept.write_bytes(b"not an npz")
    for path in builder.info.splits["train"].filepaths:  # back to the first files' key
        os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns - 10**9))
    data._load_split.cache_clear()
    np.testing.assert_array_equal(data.load_dataset(dataset, "train", svhn["data_dir"]).images, first.images)
    assert kept.read_bytes()[:2] == b"PK"  # an npz (zip) again
