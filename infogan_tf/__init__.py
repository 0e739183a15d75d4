"""InfoGAN (Chen et al., 2016) in TensorFlow 2 / Keras 3.

``infogan_tf.load(path)`` loads a trained run (its directory or its SavedModel) for sampling,
traversing and encoding with codes by name and value (``infogan_tf.api``). TensorFlow is imported
on first use of ``load``, so ``import infogan_tf`` stays light.
"""

__all__ = ["load", "TrainedModel"]


def __getattr__(name):
    if name in __all__:
        from infogan_tf import api

        return getattr(api, name)
    raise AttributeError(f"module 'infogan_tf' has no attribute {name!r}")
