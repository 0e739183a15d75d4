"""The InfoGAN objective as small pure functions of logits and L_I values.

Official code (openai/InfoGAN, infogan_trainer.py), with D(x) = sigmoid(logit):

    D_loss = -mean(log D(x) + log(1 - D(G(z,c)))) - sum_j lambda_j * L_I(c_j)
    G_loss = -mean(log D(G(z,c)))                 - sum_j lambda_j * L_I(c_j)   (non-saturating)

The official code adds 1e-8 inside the logs; here the same quantities are computed from logits
with softplus, which is exact and numerically stable (log sigmoid(t) = -softplus(-t)).
"""

from typing import Mapping

import tensorflow as tf


def discriminator_gan_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """-mean(log D(x)) - mean(log(1 - D(G(z))))."""
    return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))


def generator_gan_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """Non-saturating generator loss: -mean(log D(G(z)))."""
    return tf.reduce_mean(tf.nn.softplus(-fake_logits))


def information_penalty(information: Mapping[str, tf.Tensor], weights: Mapping[str, float]) -> tf.Tensor:
    """-sum_j lambda_j * L_I(c_j): the term both players add to their loss.

    ``information`` maps code name to L_I for that code, ``weights`` code name to lambda.
    """
    if not information:
        return tf.constant(0.0)
    return -tf.add_n([weights[name] * value for name, value in information.items()])
