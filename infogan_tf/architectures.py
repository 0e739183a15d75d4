"""Network tables (paper Appendix C), as data; and ``chairs_color``, Table 6 for colour images.

Each table lists the generator, the D/Q trunk shared by the discriminator and Q, the D head and
the Q head, layer by layer, in the order the official code (openai/InfoGAN, infogan/models/
regularized_gan.py) builds them: layer -> batch norm -> activation. ``units="q"`` stands for the
number of Q outputs, which the experiment's latent spec decides. All convolutions are 4x4 with
SAME padding; ``stride`` is 2 unless a table says otherwise.
"""

import dataclasses
from typing import Optional, Tuple, Union


@dataclasses.dataclass(frozen=True)
class Layer:
    kind: str  # "fc", "conv", "deconv", "reshape", "flatten"
    units: Union[int, str, None] = None  # units / filters, or "q" for the Q output size
    stride: int = 2
    bn: bool = False
    act: Optional[str] = None  # "relu", "lrelu", "sigmoid", "tanh" or None (linear)
    shape: Optional[Tuple[int, ...]] = None  # for "reshape"


def fc(units, bn=False, act=None):
    return Layer("fc", units, bn=bn, act=act)


def conv(filters, stride=2, bn=False, act="lrelu"):
    return Layer("conv", filters, stride=stride, bn=bn, act=act)


def deconv(filters, stride=2, bn=False, act="relu"):
    return Layer("deconv", filters, stride=stride, bn=bn, act=act)


def reshape(*shape):
    return Layer("reshape", shape=tuple(shape))


FLATTEN = Layer("flatten")


@dataclasses.dataclass(frozen=True)
class Architecture:
    name: str
    image_shape: Tuple[int, int, int]
    generator: Tuple[Layer, ...]
    trunk: Tuple[Layer, ...]
    d_head: Tuple[Layer, ...]
    q_head: Tuple[Layer, ...]
    source: str = ""

    @property
    def output_activation(self) -> str:
        return self.generator[-1].act


# Table 1 and the official code's InfoGAN MNIST networks.
MNIST = Architecture(
    name="mnist",
    image_shape=(28, 28, 1),
    generator=(
        fc(1024, bn=True, act="relu"),
        fc(7 * 7 * 128, bn=True, act="relu"),
        reshape(7, 7, 128),
        deconv(64, bn=True, act="relu"),
        deconv(1, act="sigmoid"),
    ),
    trunk=(
        conv(64),
        conv(128, bn=True),
        FLATTEN,
        fc(1024, bn=True, act="lrelu"),
    ),
    d_head=(fc(1),),
    q_head=(fc(128, bn=True, act="lrelu"), fc("q")),
    source="paper Table 1; openai/InfoGAN regularized_gan.py (network_type='mnist')",
)

# Table 2. The generator has no batch norm on u128 and u64, as the table prints it.
SVHN = Architecture(
    name="svhn",
    image_shape=(32, 32, 3),
    generator=(
        fc(2 * 2 * 448, bn=True, act="relu"),
        reshape(2, 2, 448),
        deconv(256, bn=True, act="relu"),
        deconv(128, act="relu"),
        deconv(64, act="relu"),
        deconv(3, act="tanh"),
    ),
    trunk=(
        conv(64),
        conv(128, bn=True),
        conv(256, bn=True),
        FLATTEN,
    ),
    d_head=(fc(1),),
    q_head=(fc(128, bn=True, act="lrelu"), fc("q")),
    source="paper Table 2",
)

# Table 3: the SVHN networks; only the generator's input size (228) differs, and that comes
# from the latent spec.
CELEBA = dataclasses.replace(SVHN, name="celeba", source="paper Table 3 (as Table 2)")

# Table 4. D and Q share everything but their output units.
FACES = Architecture(
    name="faces",
    image_shape=(32, 32, 1),
    generator=(
        fc(1024, bn=True, act="relu"),
        fc(8 * 8 * 128, bn=True, act="relu"),
        reshape(8, 8, 128),
        deconv(64, bn=True, act="relu"),
        deconv(1, act="sigmoid"),
    ),
    trunk=(
        conv(64),
        conv(128, bn=True),
        FLATTEN,
        fc(1024, bn=True, act="lrelu"),
    ),
    d_head=(fc(1),),
    q_head=(fc("q"),),
    source="paper Table 4",
)

# Table 6. The two stride-1 convolutions keep 8x8 (SAME padding); the two stride-1 up-convolutions
# likewise, and three stride-2 up-convolutions reach 64x64.
CHAIRS = Architecture(
    name="chairs",
    image_shape=(64, 64, 1),
    generator=(
        fc(1024, bn=True, act="relu"),
        fc(8 * 8 * 256, bn=True, act="relu"),
        reshape(8, 8, 256),
        deconv(256, stride=1, bn=True, act="relu"),
        deconv(256, stride=1, bn=True, act="relu"),
        deconv(128, bn=True, act="relu"),
        deconv(64, bn=True, act="relu"),
        deconv(1, act="sigmoid"),
    ),
    trunk=(
        conv(64),
        conv(128, bn=True),
        conv(256, bn=True),
        conv(256, stride=1, bn=True),
        conv(256, stride=1, bn=True),
        FLATTEN,
        fc(1024, bn=True, act="lrelu"),
    ),
    d_head=(fc(1),),
    q_head=(fc("q"),),
    source="paper Table 6",
)

# Not in the paper: Table 6's networks for colour 64x64 images (own_color64 in paper_configs/
# own_images.json). Only G's last row (3 channels, still sigmoid) and D's input (3 channels, which
# the first convolution takes from the images) differ.
CHAIRS_COLOR = dataclasses.replace(
    CHAIRS,
    name="chairs_color",
    image_shape=(64, 64, 3),
    generator=CHAIRS.generator[:-1] + (deconv(3, act="sigmoid"),),
    source="paper Table 6 with a 3-channel (colour) output; not in the paper",
)

ARCHITECTURES = {a.name: a for a in (MNIST, SVHN, CELEBA, FACES, CHAIRS, CHAIRS_COLOR)}


def get(name: str) -> Architecture:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; valid: {', '.join(sorted(ARCHITECTURES))}") from None
