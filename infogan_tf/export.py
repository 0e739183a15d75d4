"""SavedModel export: ``generate`` (z and codes in, images out) and ``encode`` (images in, D
probability and code posteriors out), loadable with ``tf.saved_model.load`` alone, or with
``infogan_tf.load(path)`` for codes by name and value.

    m = tf.saved_model.load(path)
    images = m.signatures["generate"](z=z, c1=one_hot, c2=c2, c3=c3)["images"]
    post = m.signatures["encode"](images=images)   # {"d_prob", "c1_probs", "c2_mean", "c2_std", ...}

(``m.generate({"z": z, "c1": ...})`` and ``m.encode(images)`` are the same functions.)

Categorical codes go in as one-hot (or any probability) vectors [B, k]; continuous codes as
[B, dim]. Both functions run the networks in inference mode (batch norm moving averages).

Beside them, ``infogan_spec.json`` records what a user needs without the training config: the latent
spec (``configs.latent_to_dict``, which ``configs.parse_latent`` reads back) and z's prior range,
the image shape, G's output activation and the image range it implies, the experiment, its
overrides and the training step.
"""

import json
import os
import shutil

import tensorflow as tf

from infogan_tf import configs, inference


class _Exportable(tf.Module):
    def __init__(self, model):
        super().__init__(name="infogan_export")
        self.generator = model.generator
        self.discriminator = model.discriminator
        spec = model.spec
        self._spec = spec
        h, w, c = model.arch.image_shape
        gen_sig = {"z": tf.TensorSpec([None, spec.noise_dim], tf.float32, name="z")}
        for code in spec.codes:
            gen_sig[code.name] = tf.TensorSpec([None, code.flat_dim], tf.float32, name=code.name)
        self.generate = tf.function(self._generate, input_signature=[gen_sig])
        self.encode = tf.function(
            self._encode, input_signature=[tf.TensorSpec([None, h, w, c], tf.float32, name="images")]
        )

    def _generate(self, inputs):
        x = self._spec.generator_input(inputs["z"], [inputs[c.name] for c in self._spec.codes])
        return {"images": self.generator(x, training=False)}

    def _encode(self, images):
        d_logits, q_params = self.discriminator(images, training=False)
        return inference.flat_outputs(tf.sigmoid(d_logits), self._spec.posteriors(q_params))


def export(model, path: str) -> str:
    """Writes the SavedModel to ``path`` (atomically: a temp dir renamed into place)."""
    module = _Exportable(model)
    tmp = path.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    gen = module.generate.get_concrete_function()
    enc = module.encode.get_concrete_function()
    tf.saved_model.save(module, tmp, signatures={"generate": gen, "encode": enc})
    with open(os.path.join(tmp, "infogan_spec.json"), "w") as f:
        act = model.arch.output_activation
        json.dump(
            {
                "experiment": model.experiment.name,
                "overrides": list(model.experiment.overrides),
                "step": int(model.step),
                "latent": configs.latent_to_dict(model.spec),
                "noise_range": [model.spec.noise_low, model.spec.noise_high],
                "image_shape": list(model.arch.image_shape),
                "output_activation": act,
                "image_range": list(inference.image_range(act)),
            },
            f,
            indent=2,
        )
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)
    return path
