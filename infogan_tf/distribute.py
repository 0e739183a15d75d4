"""Where a run trains: on one device, or data-parallel over several with
``tf.distribute.MirroredStrategy`` (``--strategy=mirrored``).

The strategy mirrors every variable on each device; each replica computes its slice of the global
batch (``model.InfoGAN``), batch norm averages its statistics over the replicas, and the gradients
are summed across them before each update. Over the visible GPUs when there are any; otherwise over
the CPU's logical devices, of which ``split_cpu(n)`` makes ``n`` (``--cpu_devices``), so that the
mirrored step can be run and tested on a machine without GPUs. Checkpoints hold the variables
themselves, so a run trained on several devices resumes on one and the other way round.
"""

from typing import Optional

import tensorflow as tf
from absl import logging

from infogan_tf import configs

STRATEGIES = ("none", "mirrored")


def split_cpu(n: int) -> None:
    """Makes the first CPU ``n`` logical devices. Only possible before TensorFlow has set up its
    devices, i.e. before the first operation runs.

    Raises:
      RuntimeError: TensorFlow's devices are already initialised, with what to do.
    """
    if n < 1:
        raise ValueError(f"--cpu_devices={n}: must be a positive number of logical devices")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError as e:
        if len(tf.config.list_logical_devices("CPU")) == n:
            return  # already split this way
        raise RuntimeError(
            f"--cpu_devices={n}: cannot split the CPU into {n} logical devices after TensorFlow "
            f"has started ({e}); call split_cpu first, before any operation runs"
        ) from None


def make_strategy(name: str, cpu: bool = False) -> Optional[tf.distribute.Strategy]:
    """None for "none"; for "mirrored" a MirroredStrategy over every visible GPU, or over the CPU's
    logical devices when there is no GPU or ``cpu`` says so (``--cpu_devices``).

    Raises:
      ValueError: an unknown ``name``.
    """
    if name not in STRATEGIES:
        raise ValueError(f"strategy {name!r}; valid: {', '.join(STRATEGIES)}")
    if name == "none":
        return None
    devices = [] if cpu else [d.name for d in tf.config.list_logical_devices("GPU")]
    if not devices:
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(devices) == 1:
        logging.warning(
            "--strategy=mirrored over one device (%s): one replica, nothing to gain over no strategy "
            "(no GPU is visible; --cpu_devices=N splits the CPU into N logical devices, to test the strategy)",
            devices[0],
        )
    return tf.distribute.MirroredStrategy(devices)


def check(experiment, strategy: Optional[tf.distribute.Strategy]) -> None:
    """Refuses a training setting the strategy cannot run, before any data is loaded.

    Raises:
      configs.ConfigError: ``train.batch_size`` is not a multiple of the replicas, or
        ``train.precision`` is mixed_float16 under a strategy; the message names the key, the value
        and what is valid.
    """
    train = experiment.train
    replicas = strategy.num_replicas_in_sync if strategy else 1
    if train.batch_size % replicas:
        raise configs.ConfigError(
            f"train.batch_size={train.batch_size} (--batch_size, --set train.batch_size or the config "
            f"{experiment.source}) does not split over the {replicas} replicas of the {type(strategy).__name__} "
            f"({', '.join(strategy.extended.worker_devices)}); valid: a multiple of {replicas}"
        )
    if strategy is not None and train.precision == "mixed_float16":
        raise configs.ConfigError(
            "train.precision=mixed_float16 (--precision or --set) with a tf.distribute strategy (--strategy=mirrored): "
            "Keras' loss scale checks each replica's gradients for overflow before they are summed, so one "
            "replica's overflow can reach the weights; valid under a strategy: float32 or mixed_bfloat16"
        )


def describe(strategy: Optional[tf.distribute.Strategy]) -> Optional[dict]:
    """What a run's records say about where it trained (None: one device, no strategy)."""
    if strategy is None:
        return None
    return {
        "name": type(strategy).__name__,
        "replicas": int(strategy.num_replicas_in_sync),
        "devices": list(strategy.extended.worker_devices),
    }
