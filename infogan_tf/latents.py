"""Latent codes, their priors, the Q posterior families, and the bound L_I.

The generator input is the concatenation, in spec order, of the noise z and every code c_j
(categorical codes as one-hot vectors). This is the official code's order for MNIST:
z (62), c1 one-hot (10), c2 (1), c3 (1).

The variational lower bound on I(c; G(z, c)) (paper eq. 4) is, per code,

    L_I(c_j) = E_{c ~ P(c), x ~ G(z, c)} [log Q(c_j | x)] + H(c_j)

in nats. H is the prior's (differential) entropy: ln k for a uniform k-way categorical,
dim * ln(high - low) for Uniform(low, high). It is a constant and carries no gradient.
"""

import dataclasses
import math
from typing import Sequence, Union

import tensorflow as tf

_LOG_2PI = math.log(2.0 * math.pi)


@dataclasses.dataclass(frozen=True)
class Categorical:
    """A uniform k-way categorical code; Q(c|x) is a softmax over k logits."""

    name: str
    k: int

    kind = "categorical"

    @property
    def flat_dim(self) -> int:
        return self.k

    @property
    def param_dim(self) -> int:
        return self.k

    @property
    def entropy(self) -> float:
        return math.log(self.k)

    def sample(self, rng: tf.random.Generator, n) -> tf.Tensor:
        idx = rng.uniform([n], minval=0, maxval=self.k, dtype=tf.int32)
        return tf.one_hot(idx, self.k)

    def log_q(self, c: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        """log Q(c|x) per example; c one-hot [B, k], params logits [B, k]."""
        return tf.reduce_sum(c * tf.nn.log_softmax(params, axis=-1), axis=-1)

    def posterior(self, params: tf.Tensor) -> dict:
        return {"probs": tf.nn.softmax(params, axis=-1)}


@dataclasses.dataclass(frozen=True)
class Continuous:
    """A Uniform(low, high) code; Q(c|x) is a factored Gaussian.

    With ``learn_std=False`` (the official MNIST code's ``fix_std=True``) Q outputs only the mean
    and the std is 1. With ``learn_std=True`` (the paper) Q also outputs s and std = exp(s).
    """

    name: str
    dim: int = 1
    low: float = -1.0
    high: float = 1.0
    learn_std: bool = False

    kind = "continuous"

    @property
    def flat_dim(self) -> int:
        return self.dim

    @property
    def param_dim(self) -> int:
        return 2 * self.dim if self.learn_std else self.dim

    @property
    def entropy(self) -> float:
        return self.dim * math.log(self.high - self.low)

    def sample(self, rng: tf.random.Generator, n) -> tf.Tensor:
        return rng.uniform([n, self.dim], minval=self.low, maxval=self.high)

    def mean_and_log_std(self, params: tf.Tensor):
        mean = params[:, : self.dim]
        if self.learn_std:
            log_std = params[:, self.dim :]
        else:
            log_std = tf.zeros_like(mean)
        return mean, log_std

    def log_q(self, c: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        """log N(c; mean, std^2) summed over the code's dims, per example."""
        mean, log_std = self.mean_and_log_std(params)
        z = (c - mean) * tf.exp(-log_std)
        return tf.reduce_sum(-0.5 * _LOG_2PI - log_std - 0.5 * tf.square(z), axis=-1)

    def posterior(self, params: tf.Tensor) -> dict:
        mean, log_std = self.mean_and_log_std(params)
        return {"mean": mean, "std": tf.exp(log_std)}


Code = Union[Categorical, Continuous]


@dataclasses.dataclass(frozen=True)
class LatentSpec:
    """Noise size and the ordered list of codes of one experiment."""

    noise_dim: int
    codes: Sequence[Code]
    noise_low: float = -1.0
    noise_high: float = 1.0

    def __post_init__(self):
        names = [c.name for c in self.codes]
        if len(set(names)) != len(names):
            raise ValueError(f"code names must be unique, got {names}")
        if self.noise_dim < 0:
            raise ValueError(f"noise_dim must be >= 0, got {self.noise_dim}")

    @property
    def input_dim(self) -> int:
        """Size of the generator input: z plus every code's flat size."""
        return self.noise_dim + sum(c.flat_dim for c in self.codes)

    @property
    def q_dim(self) -> int:
        """Number of Q output units: every code's posterior parameters."""
        return sum(c.param_dim for c in self.codes)

    @property
    def categorical(self):
        return [c for c in self.codes if c.kind == "categorical"]

    @property
    def continuous(self):
        return [c for c in self.codes if c.kind == "continuous"]

    def code(self, name: str) -> Code:
        for c in self.codes:
            if c.name == name:
                return c
        raise KeyError(f"no code named {name!r}; codes are {[c.name for c in self.codes]}")

    def sample_noise(self, rng: tf.random.Generator, n) -> tf.Tensor:
        return rng.uniform([n, self.noise_dim], minval=self.noise_low, maxval=self.noise_high)

    def sample(self, rng: tf.random.Generator, n):
        """Returns (z [n, noise_dim], [c_j [n, flat_dim_j] for each code])."""
        return self.sample_noise(rng, n), [c.sample(rng, n) for c in self.codes]

    def generator_input(self, z: tf.Tensor, codes: Sequence[tf.Tensor]) -> tf.Tensor:
        return tf.concat([z] + list(codes), axis=-1)

    def split_q(self, q_params: tf.Tensor):
        """Splits Q's output units into one parameter tensor per code."""
        return tf.split(q_params, [c.param_dim for c in self.codes], axis=-1)

    def information(self, codes: Sequence[tf.Tensor], q_params: tf.Tensor) -> dict:
        """L_I per code: batch mean of log Q(c_j|x) plus H(c_j), in nats. Keyed by code name."""
        out = {}
        for code, c, p in zip(self.codes, codes, self.split_q(q_params)):
            out[code.name] = tf.reduce_mean(code.log_q(c, p)) + code.entropy
        return out

    def posteriors(self, q_params: tf.Tensor) -> dict:
        """Q's posterior for each code, e.g. {'c1': {'probs': ...}, 'c2': {'mean':..., 'std':...}}."""
        return {code.name: code.posterior(p) for code, p in zip(self.codes, self.split_q(q_params))}
