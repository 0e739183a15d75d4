"""Input pipelines: datasets held in memory as uint8, fed by an exactly resumable tf.data pipeline.

Sources (the ``dataset`` entry of an experiment config, a name or a dict with ``source``):

- ``tfds``: a TensorFlow Datasets dataset (``mnist``, ``svhn_cropped``, ``celeb_a``), optionally
  centre-cropped and resized (CelebA: the central 108x108 of the aligned 218x178 images, resized
  to 32x32 with area averaging; the paper does not state its crop);
- ``image_folder``: a directory of image files (3D Faces, 3D Chairs under the data dir; your own
  images anywhere, ``paper_configs/own_images.json``), grey or colour, optionally cropped (the
  object's bounding box, or the central square), resized; ``load_image_folder`` says what a folder
  must hold and how grey, colour, palette, alpha and 16-bit files are read;
- ``shapes``: the procedurally generated dataset of ``infogan_tf.shapes``.

Data location, in order: the ``data_dir`` argument (the runner's ``--data_dir``), the
``TFDS_DATA_DIR`` environment variable, TFDS's default (~/tensorflow_datasets). A dataset that is not
prepared there is downloaded by TFDS as usual; when the download host cannot be reached, loading
fails at once with an error that says how to point at a prepared data dir, instead of TFDS retrying
for minutes.
"""

import dataclasses
import functools
import hashlib
import json
import os
import socket
from typing import Dict, Optional, Tuple

import numpy as np
import tensorflow as tf
from absl import logging

# Where TFDS downloads each dataset from; checked before a download is attempted.
DOWNLOAD_HOSTS = {
    "mnist": "storage.googleapis.com",
    "svhn_cropped": "ufldl.stanford.edu",
    "celeb_a": "drive.google.com",
}
# What to tell a user when a dataset cannot be had.
MANUAL_HINTS = {
    "celeb_a": (
        "TFDS's CelebA download often fails on Google Drive quotas: download "
        "img_align_celeba.zip, list_eval_partition.txt, identity_CelebA.txt, list_attr_celeba.txt "
        "and list_landmarks_align_celeba.txt by hand and place them in <data_dir>/downloads/manual/, "
        "then run again."
    ),
}
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


class DataUnavailableError(RuntimeError):
    """The dataset is neither prepared in the data dir nor downloadable from here."""


def resolve_data_dir(data_dir: Optional[str]) -> Optional[str]:
    if data_dir:
        return os.path.abspath(os.path.expanduser(data_dir))
    env = os.environ.get("TFDS_DATA_DIR")
    return os.path.abspath(os.path.expanduser(env)) if env else None


def _reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def cache_dir() -> str:
    """Where the project caches what it derives from the data: the digit classifier
    (``digit_classifier``) and decoded TFDS splits (``load_split``). ``INFOGAN_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/infogan_tf``, else ``~/.cache/infogan_tf``; never the data dir."""
    if os.environ.get("INFOGAN_CACHE_DIR"):
        return os.environ["INFOGAN_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "infogan_tf")


def load_split(
    name: str,
    split: str,
    data_dir: Optional[str] = None,
    download: bool = True,
    crop: Optional[Tuple[int, int]] = None,
    size: Optional[int] = None,
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Loads a whole TFDS split into memory: (images uint8 [N, H, W, C], labels int64 [N] or None).

    ``crop`` (height, width) takes the central region and ``size`` resizes it to size x size with
    area averaging, image by image as the split streams in, so only the small images are held.
    With ``download=False`` a dataset that is not prepared is an error instead of a download.

    A split is read once per process (``--figure=all_mnist`` trains four experiments on MNIST): the
    arrays are cached and returned read-only. Decoding is also kept on disk (``cache_dir()/tfds``, one
    ``.npz`` per split, crop and size), keyed by the prepared files' paths, sizes and modification
    times, so that later processes read the arrays instead of decoding every image again (MNIST's
    60,000 PNGs take some 5-10 s); a changed or re-prepared dataset is decoded again.
    """
    return _load_split(name, split, resolve_data_dir(data_dir), download, tuple(crop) if crop else None, size)


@functools.lru_cache(maxsize=8)
def _load_split(name, split, data_dir, download, crop, size):
    import tensorflow_datasets as tfds  # imported here: it is slow to import

    if data_dir is not None and not os.path.isdir(data_dir):
        raise DataUnavailableError(
            f"data dir {data_dir!r} (from --data_dir or TFDS_DATA_DIR) does not exist; "
            f"pass the directory that holds '{name}/<version>/', e.g. --data_dir=../shared/tensorflow_datasets"
        )
    builder = tfds.builder(name, data_dir=data_dir)
    if not builder.is_prepared():
        host = DOWNLOAD_HOSTS.get(name, "storage.googleapis.com")
        where = data_dir or os.path.join(os.path.expanduser("~"), "tensorflow_datasets")
        if not download:
            raise DataUnavailableError(
                f"TFDS dataset '{name}' is not prepared in {where!r} and downloading is off "
                f"(--nodownload). Point --data_dir (or TFDS_DATA_DIR) at a prepared TFDS data dir that "
                f"contains '{name}/{builder.version}/', e.g. --data_dir=../shared/tensorflow_datasets. "
                + MANUAL_HINTS.get(name, "")
            )
        manual = os.path.join(where, "downloads", "manual")
        have_manual = os.path.isdir(manual) and bool(os.listdir(manual))
        if not have_manual and not _reachable(host):
            raise DataUnavailableError(
                f"TFDS dataset '{name}' is not prepared in {where!r} and its download host {host} "
                f"cannot be reached. Point --data_dir (or the TFDS_DATA_DIR environment variable) at a "
                f"prepared TFDS data dir that contains '{name}/{builder.version}/', for example "
                f"--data_dir=../shared/tensorflow_datasets, or run once with internet access. "
                + MANUAL_HINTS.get(name, "")
            )
        builder.download_and_prepare()  # TFDS reads <data_dir>/downloads/manual/ by itself
    splits = builder.info.splits
    if split not in splits:
        raise ValueError(f"dataset '{name}' has no split {split!r}; it has {sorted(splits.keys())}")
    has_label = "label" in builder.info.features
    cached = _decoded_path(name, builder, split, crop, size)
    if cached and os.path.exists(cached):
        try:
            with np.load(cached) as f:
                images, labels = f["images"], (f["labels"] if has_label else None)
        except (OSError, ValueError, KeyError) as e:  # damaged: decode again and rewrite it
            logging.warning("%s: cannot read the decoded %s split (%s); decoding it again", cached, name, e)
        else:
            return _read_only(images, labels)

    def prepare(example):
        image = example["image"]
        if crop is not None:
            h, w = tf.shape(image)[0], tf.shape(image)[1]
            image = tf.image.crop_to_bounding_box(image, (h - crop[0]) // 2, (w - crop[1]) // 2, crop[0], crop[1])
        if size is not None:
            image = tf.image.resize(image, (size, size), method="area")
            image = tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)
        return image, (example["label"] if has_label else tf.constant(-1, tf.int64))

    ds = builder.as_dataset(split=split, shuffle_files=False).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    images, labels = [], []
    for x, y in ds.batch(4096).as_numpy_iterator():
        images.append(x)
        labels.append(y)
    images = np.concatenate(images)
    labels = np.concatenate(labels).astype(np.int64) if has_label else None
    if cached:
        _write_decoded(cached, images, labels)
    return _read_only(images, labels)


def _read_only(*arrays):
    """The arrays (None passes through), made read-only: the process's cached copies are shared."""
    for arr in arrays:
        if arr is not None:
            arr.setflags(write=False)
    return arrays


def _decoded_path(name, builder, split, crop, size) -> Optional[str]:
    """The on-disk cache of a decoded split: named by a hash of what it was decoded from and how."""
    try:
        files = sorted(str(p) for p in builder.info.splits[split].filepaths)
        stats = [(p, os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in files]
    except (OSError, AttributeError, TypeError):
        return None  # files it cannot name or stat: not cached
    key = json.dumps([name, str(builder.version), split, crop, size, stats])
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return os.path.join(cache_dir(), "tfds", f"{name}_{split}_{digest}.npz")


def _write_decoded(path: str, images: np.ndarray, labels: Optional[np.ndarray]) -> None:
    """Atomically (a temporary file, then a rename); a cache that cannot be written is skipped."""
    tmp = f"{path}.{os.getpid()}.tmp.npz"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        arrays = {"images": images} | ({"labels": labels} if labels is not None else {})
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError as e:
        logging.warning("cannot keep the decoded split in %s (%s); it is decoded again next time", path, e)
        if os.path.exists(tmp):
            os.remove(tmp)


def to_float(images: tf.Tensor, output_activation: str) -> tf.Tensor:
    """uint8 images to the generator's output range: [0, 1] for sigmoid, [-1, 1] for tanh."""
    x = tf.cast(images, tf.float32) / 255.0
    if output_activation == "tanh":
        return x * 2.0 - 1.0
    if output_activation == "sigmoid":
        return x
    raise ValueError(f"unsupported generator output activation {output_activation!r}")


def training_batches(
    images: np.ndarray, batch_size: int, seed: int, start_step: int = 0, output_activation: str = "sigmoid"
) -> tf.data.Dataset:
    """An endless dataset of shuffled batches [batch_size, H, W, C] in G's output range.

    Epoch e visits the images in the order of a permutation fixed by (seed, e); batches run across
    epoch boundaries. Batch number ``start_step`` of a fresh pipeline is exactly batch
    ``start_step`` of an uninterrupted one, which is what makes resuming exact.
    """
    n = int(images.shape[0])
    if n < batch_size:
        raise ValueError(f"batch size {batch_size} is larger than the dataset ({n} images)")
    offset = int(start_step) * int(batch_size)
    first_epoch, skip = divmod(offset, n)

    def epoch_order(epoch):
        perm = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch])
        )
        return tf.data.Dataset.from_tensor_slices(perm)

    table = tf.constant(images)
    ds = tf.data.Dataset.range(first_epoch, np.iinfo(np.int64).max).flat_map(epoch_order)
    ds = ds.skip(skip).batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda idx: to_float(tf.gather(table, idx), output_activation), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


@dataclasses.dataclass
class Split:
    """A dataset split in memory: uint8 images, integer labels (or None), known factors (or None)."""

    images: np.ndarray
    labels: Optional[np.ndarray] = None
    factors: Optional[Dict[str, np.ndarray]] = None


# --- image folders ---------------------------------------------------------------------------------
# What a file's pixels hold, by PIL mode (Pillow's "Modes"): grey, or else colour. A palette image
# (P, PA) is grey when every entry of its palette is. 16-bit grey (I;16*, and I, as older Pillow
# opens 16-bit PNGs) is scaled to 8 bits. Alpha (LA, PA, RGBA, a tRNS colour key) is flattened onto white.
_GREY_MODES = ("1", "L", "LA", "La", "I", "F")
_ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
PROGRESS_EVERY = 10_000  # a folder of this many files or more logs its progress
_FOLDER_CACHE: Dict[tuple, tuple] = {}  # the last folder read in full: key -> (file signature, images)


class ImageFolderError(ValueError):
    """An image folder whose files do not make one dataset of the config's kind: files of different
    sizes that are resized whole, grey and colour files together, or grey files for colour images."""


def image_kind(im) -> str:
    """ "grey" or "colour": what the pixels of an opened PIL image hold, from its mode (a palette
    image: from its palette). Reads the header only."""
    if im.mode in ("P", "PA"):
        palette = np.asarray(im.getpalette() or [0, 0, 0]).reshape(-1, 3)
        return "grey" if (palette == palette[:, :1]).all() else "colour"
    return "grey" if im.mode in _GREY_MODES or im.mode.startswith("I;16") else "colour"


def _to_mode(im, grey: bool):
    """An opened PIL image as mode L (``grey``) or RGB: alpha flattened onto white, 16-bit grey
    scaled to 8 bits (65535 -> 255), colour to grey by PIL's ITU-R 601 luma."""
    from PIL import Image

    if im.mode in _ALPHA_MODES or "transparency" in im.info:
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im.convert("RGBA"))
    elif im.mode == "I" or im.mode.startswith("I;16"):
        wide = np.asarray(im, np.float64)
        im = Image.fromarray(np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8))
    return im.convert("L" if grey else "RGB")


def _square(im, crop: Optional[str]):
    """``im`` cropped as ``dataset.crop`` says: "bbox", "center" (the central square) or None (whole)."""
    if crop == "bbox":
        return _bbox_square(im)
    if crop == "center":
        w, h = im.size
        side = min(w, h)
        left, top = (w - side) // 2, (h - side) // 2
        return im.crop((left, top, left + side, top + side))
    if crop is not None:
        raise ValueError(f"unknown crop {crop!r}; valid: 'bbox', 'center' or none")
    return im


def image_files(root: str) -> list:
    """Every image file below ``root`` (recursively; by extension, any case), sorted by path."""
    paths = []
    for dirpath, _, files in os.walk(root):
        paths.extend(os.path.join(dirpath, f) for f in files if f.lower().endswith(IMAGE_EXTENSIONS))
    return sorted(paths)


def _describe(path: str, im) -> str:
    return f"{path!r} ({im.size[0]}x{im.size[1]}, mode {im.mode}, {image_kind(im)})"


class _FolderCheck:
    """Checks each file of a folder against the first: one kind (grey or colour) and, when images
    are resized whole, one size. Raises ImageFolderError naming both files and what to do."""

    def __init__(self, root: str, paths: list, grey: bool, crop: Optional[str]):
        self.root, self.paths, self.grey, self.crop = root, paths, grey, crop
        self.first = None  # (path, description, size, kind)

    def __call__(self, path: str, im) -> None:
        kind = image_kind(im)
        if self.first is None:
            self.first = (path, _describe(path, im), im.size, kind)
            if kind == "grey" and not self.grey:
                self._grey_for_colour(path, im)
            return
        first_path, first_desc, first_size, first_kind = self.first
        if kind != first_kind:
            raise ImageFolderError(
                f"grey and colour image files below {self.root!r}: {first_desc} and {_describe(path, im)}; "
                f"the images of a folder must be all grey or all colour. Convert the "
                f"{'colour' if self.grey else 'grey'} ones to {'grey' if self.grey else 'colour (RGB)'} "
                f"or move them out of the folder"
            )
        if self.crop is None and im.size != first_size:
            raise ImageFolderError(
                f"image files of different sizes below {self.root!r}: {first_desc} and {_describe(path, im)}; "
                f"dataset.crop=null resizes every image whole, so they would be scaled (and stretched) "
                f"differently. Resize them to one size, or crop each to a square first: --set dataset.crop=center "
                f"(its central square) or --set dataset.crop=bbox (the object's bounding box on a plain background)"
            )

    def _grey_for_colour(self, path: str, im) -> None:
        """The first file is grey and colour images are asked for: a mixed folder (named by the first
        colour file, found from the headers) or a grey one."""
        from PIL import Image

        for other in self.paths[1:]:
            try:
                with Image.open(other) as o:
                    if image_kind(o) == "colour":
                        self(other, o)  # the mixed-kinds error
            except (OSError, SyntaxError, Image.DecompressionBombError):
                continue  # an unreadable file: reported, with its path, when it is read
        raise ImageFolderError(
            f"the image files below {self.root!r} are grey (e.g. {_describe(path, im)}) and dataset.grey=false "
            f"asks for colour images: train a grey experiment (own_grey32, own_grey64) or pass "
            f"--set dataset.grey=true with a grey architecture (faces, chairs)"
        )


def load_image_folder(
    root: str, size: int, crop: Optional[str] = "bbox", grey: bool = True, limit: Optional[int] = None
) -> np.ndarray:
    """All images below ``root`` (recursively, sorted by path) as uint8 [N, size, size, 1 or 3]
    (read-only), or ``limit`` of them evenly spaced in that order (``spread_indices``), so that in a
    folder sorted into sub-folders every sub-folder has its share.

    ``crop="bbox"`` crops each image to the bounding box of its non-background pixels (background =
    the colour of the top-left pixel), made square and padded by 5%, before resizing; ``"center"``
    takes its central square; ``None`` resizes the whole image (all files must then be of one
    size). The files must be all grey or all colour (``image_kind``); grey files for ``grey=False``
    are refused; colour files for ``grey=True`` are converted (ITU-R 601 luma). Alpha is flattened
    onto white, 16-bit grey scaled to 8 bits. Box-filter resizing.

    Each file is read once, in one pass that checks it against the first; a folder of 10,000 files
    or more logs its progress. The last folder read in full is kept in memory while its files stay
    unchanged (paths, sizes, modification times), so the test split, ``limit`` of its files, reads
    nothing again.

    Raises (each naming the path):
      DataUnavailableError: ``root`` is not a directory, holds no image file, or a file cannot be read.
      ImageFolderError: grey and colour files together, files of different sizes with ``crop=None``,
        or grey files for ``grey=False`` (both files named, with sizes and PIL modes).
    """
    if not os.path.isdir(root):
        raise DataUnavailableError(f"image folder {root!r} does not exist")
    paths = image_files(root)
    if not paths:
        raise DataUnavailableError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) found below {root!r}")
    key = (os.path.abspath(root), size, crop, grey)
    signature = tuple((p, s.st_size, s.st_mtime_ns) for p, s in ((p, os.stat(p)) for p in paths))
    cached = _FOLDER_CACHE.get(key)
    if cached is not None and cached[0] == signature:
        images = cached[1]
    else:
        wanted = [paths[i] for i in spread_indices(len(paths), limit)] if limit else paths
        images = _read_images(root, wanted, size, crop, grey)
        images.setflags(write=False)
        if len(wanted) == len(paths):
            _FOLDER_CACHE.clear()  # one folder at a time: the arrays can be large
            _FOLDER_CACHE[key] = (signature, images)
        return images
    return images[spread_indices(len(images), limit)] if limit else images


def spread_indices(n: int, limit: int) -> np.ndarray:
    """``min(limit, n)`` distinct indices into ``n`` items, evenly spaced from the first to the last."""
    return np.linspace(0, n - 1, min(limit, n)).astype(np.int64)


def _read_images(root: str, paths: list, size: int, crop: Optional[str], grey: bool) -> np.ndarray:
    """The files ``paths`` read, checked (``_FolderCheck``), converted, cropped and resized, in order."""
    from PIL import Image, UnidentifiedImageError

    check = _FolderCheck(root, paths, grey, crop)
    out = np.empty((len(paths), size, size, 1 if grey else 3), np.uint8)
    if len(paths) >= PROGRESS_EVERY:
        logging.info("%s: reading %d image files", root, len(paths))
    for i, path in enumerate(paths):
        if i and i % PROGRESS_EVERY == 0:
            logging.info("%s: read %d of %d image files", root, i, len(paths))
        try:
            with Image.open(path) as im:
                check(path, im)
                if i == 0 and crop is None and im.size[0] != im.size[1]:
                    logging.warning(
                        "%s: the images are %dx%d; resized whole to %dx%d they are stretched "
                        "(--set dataset.crop=center takes the central square)",
                        root,
                        *im.size,
                        size,
                        size,
                    )
                im = _square(_to_mode(im, grey), crop).resize((size, size), Image.Resampling.BOX)
                arr = np.asarray(im, np.uint8)
        except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as e:
            raise DataUnavailableError(f"cannot read image file {path!r}: {e}") from None
        out[i] = arr[..., None] if grey else arr
    return out


def _bbox_square(im):
    arr = np.asarray(im.convert("L"), np.int16)
    diff = np.abs(arr - arr[0, 0]) > 8
    if not diff.any():
        return im
    ys, xs = np.nonzero(diff)
    cy, cx = (ys.min() + ys.max()) / 2.0, (xs.min() + xs.max()) / 2.0
    half = max(ys.max() - ys.min(), xs.max() - xs.min()) / 2.0 * 1.05 + 1
    box = tuple(int(round(v)) for v in (cx - half, cy - half, cx + half, cy + half))
    fill = im.getpixel((0, 0))
    from PIL import Image

    canvas = Image.new(im.mode, (box[2] - box[0], box[3] - box[1]), fill)
    canvas.paste(im, (-box[0], -box[1]))
    return canvas


def image_folder_root(dataset, data_dir: Optional[str] = None) -> str:
    """The directory an image_folder dataset's ``path`` names: an absolute or ``~/`` path as it is; a
    relative one under the data dir (the paper datasets' place), or else under the current directory.

    Raises:
      DataUnavailableError: the path is empty (not set yet), or none of those places is a directory;
        the message names every place looked at, the expected layout and how to get the images.
    """
    what = dataset.name or dataset.path or "image_folder"
    if not dataset.path.strip():
        raise DataUnavailableError(
            f"{what}: dataset.path is empty: pass the folder of images with --set dataset.path=DIR (absolute, "
            f"~/..., or relative to the data dir or to the current directory)"
        )
    path = os.path.expanduser(dataset.path)
    if os.path.isabs(path):
        places = [(path, "")]
    else:
        base = resolve_data_dir(data_dir) or os.path.join(os.path.expanduser("~"), "tensorflow_datasets")
        places = [(os.path.join(base, path), " (under the data dir)")]
        here = os.path.abspath(path)
        if here != places[0][0]:
            places.append((here, " (under the current directory)"))
    for place, _ in places:
        if os.path.isdir(place):
            return place
    looked = " or ".join(f"{p!r}{where}{' (a file, not a folder)' if os.path.exists(p) else ''}" for p, where in places)
    raise DataUnavailableError(
        f"{what}: expected the images in {looked}, and there is no such folder "
        f"({dataset.layout or 'a directory of image files'}); {dataset.get}".strip()
    )


def load_dataset(dataset, split: str, data_dir: Optional[str] = None, download: bool = True) -> Split:
    """Loads one split ("train" or "test") of an experiment's dataset (a ``configs`` dataset object;
    see the module docstring for the sources)."""
    if dataset.source == "tfds":
        images, labels = load_split(
            dataset.name, dataset.splits.get(split, split), data_dir, download, crop=dataset.crop, size=dataset.size
        )
        return Split(images, labels)
    if dataset.source == "shapes":
        from infogan_tf import shapes

        n = dataset.num_images if split == "train" else dataset.num_test_images
        seed = dataset.seed + (0 if split == "train" else 1_000_003)
        images, factors = shapes.make(n, dataset.size, dataset.color, seed, dataset.ranges)
        return Split(images, factors["shape"], factors)
    # image_folder: a manual download or the user's own images. The test split is num_test_images
    # files evenly spaced over the folder's sorted paths (they are also trained on: without labels
    # it only feeds the label-free scores).
    root = image_folder_root(dataset, data_dir)
    limit = dataset.num_test_images if split != "train" else None
    return Split(load_image_folder(root, dataset.size, dataset.crop, dataset.grey, limit=limit))
