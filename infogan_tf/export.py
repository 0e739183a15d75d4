"""SavedModel export: ``generate`` (z and codes in, images out) and ``encode`` (images in, D
probability and code posteriors out), loadable with ``tf.saved_model.load`` alone.

    m = tf.saved_model.load(path)
    images = m.signatures["generate"](z=z, c1=one_hot, c2=c2, c3=c3)["images"]
    post = m.signatures["encode"](images=images)   # {"d_prob", "c1_probs", "c2_mean", "c2_std", ...}

(``m.generate({"z": z, "c1": ...})`` and ``m.encode(images)`` are the same functions.)

Categorical codes go in as one-hot (or any probability) vectors [B, k]; continuous codes as
[B, dim]. Both functions run the networks in inference mode (batch norm moving averages).
"""

import json
import os
import shutil

import tensorflow as tf


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
            self._encode, input_signature=[tf.TensorSpec([None, h, w, c], tf.float32, name="images")])

    def _generate(self, inputs):
        x = self._spec.generator_input(inputs["z"], [inputs[c.name] for c in self._spec.codes])
        return {"images": self.generator(x, training=False)}

    def _encode(self, images):
        d_logits, q_params = self.discriminator(images, training=False)
        out = {"d_prob": tf.sigmoid(d_logits)}
        for code, post in self._spec.posteriors(q_params).items():
            for key, value in post.items():
                out[f"{code}_{key}"] = value
        return out


def export(model, path: str) -> str:
    """Writes the SavedModel to ``path`` (atomically: a temp dir renamed into place)."""
    module = _Exportable(model)
    tmp = path.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    gen = module.generate.get_concrete_function()
    enc = module.encode.get_concrete_function()
    tf.saved_model.save(module, tmp, signatures={"generate": gen, "encode": enc})
    with open(os.path.join(tmp, "infogan_spec.json"), "w") as f:
        json.dump({"experiment": model.cfg.get("name"), "latent": model.cfg["latent"],
                   "image_shape": list(model.arch.image_shape),
                   "output_activation": model.arch.output_activation}, f, indent=2)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)
    return path
