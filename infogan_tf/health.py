"""Training health: three ways a run commonly goes wrong, each said once, with what it usually means.

The checks start after a warm-up (``logging.health_warmup`` iterations, 500 unless a config says):
before it a freshly initialised G draws the same grey image for every latent and L_I is still rising,
so they would fire on every run.

- ``code_unused`` (per code): the mean of the code's L_I over the logged steps of the last ``WINDOW``
  (100) iterations gains less than ``SHARE`` (20%) of what the code can carry over the L_I of a Q that
  ignores the image (``uninformed_information``): for a categorical code, 20% of H(c) = ln k; for a
  continuous one, Q's guess explains less than 20% of the code's variance (``unused_threshold``).
  Q then cannot read the code from G's images: G ignores it (expected in a GAN baseline, where G is
  not rewarded for L_I) or Q has not learned to read it.
- ``d_wins``: the median of D(G(z)) (``d_fake``) over the logged steps of the last 500 iterations
  (at least 5 of them) is below 0.05: D rejects G's samples outright and G is not catching up. The
  median, not every step: a blip above 0.05 neither hides a won game nor does a dip raise one.
- ``collapse``: at each evaluation (``logging.eval_every``) and at the end, the mean per-pixel
  standard deviation across 256 of G's samples (inference mode, a fixed seed, ``inference.sample``:
  the training RNG is never touched) is below 10% of the same statistic on real training images: G
  draws nearly one image whatever z and c. A high L_I can hide it: Q may read the codes from
  differences too faint to see.

Each warning is raised once per run and kind (and code): logged with ``absl.logging.warning``,
written to TensorBoard as text under ``health/<kind>[/<code>]``, and listed in ``metrics.json``
(``health``: the ``Monitor.records``). A figure drawn from the run says so in its subtitle
(``figure_note``). A resumed run replays ``history.jsonl`` and the collapse measurements
(``health_probes.jsonl`` in the run directory, both cut back to the checkpoint's step), so the
warnings raised up to that step are kept and not said again (one raised after it is said again when
its step is trained again).

Measured on the project's runs: the GAN baseline's categorical code ends at 0.18 nats (mnist_gan)
and 0.08-0.14 from step 300 on (100-iteration means, mnist_mi_gan), of a possible 2.30, against
2.2-2.30 for InfoGAN; its fixed-std continuous codes end at -0.394/-0.392, the uninformed -0.3925, against InfoGAN's
-0.246 (the ceiling is -0.226); learned-std codes (mnist_paper) reach 1.2-1.7 nats. In six finished
runs of the MNIST study the lowest 500-iteration median of D(G(z)) after the warm-up is 0.23-0.37
(results/attempts/health_levels_2026-12-02); in a shapes_chairs attempt that D won (results/attempts,
minibatch discrimination) D(G(z)) was 0.001-0.015 from step 10 on. The per-pixel spread of a trained
MNIST G's samples is 0.188-0.190, of real MNIST 0.191, of a freshly initialised G 0.0004, of a
constant G 0.
"""

import collections
import json
import math
import os
from typing import Callable, Dict, Iterable, List, Mapping, Optional

import numpy as np
from absl import logging

from infogan_tf import provenance

_LOG_2PI = math.log(2.0 * math.pi)

WARMUP = 500  # iterations before any check (the config's logging.health_warmup)
WINDOW = 100  # iterations of logged L_I averaged by the code check
SHARE = 0.2  # a code is unused when Q reads less than this share of it
D_FAKE_THRESHOLD = 0.05
D_WINS_SPAN = 500  # iterations
D_WINS_MIN_LOGGED = 5
COLLAPSE_SHARE = 0.1  # of the real images' per-pixel spread
PROBE_SAMPLES = 256
PROBE_SEED = 8128
REFERENCE_IMAGES = 256
PROBES_FILE = "health_probes.jsonl"


# --- closed forms ---------------------------------------------------------------------------------
def _width(code) -> float:
    return code.high - code.low


def uninformed_information(code) -> float:
    """L_I (nats) of the best Q that ignores the image, for a ``latents`` code.

    Categorical: Q says 1/k for every category: log(1/k) + ln k = 0. Continuous Uniform(low, high)
    (width w) per dim: with std fixed at 1, the best mean is the prior's, E(c - mean)^2 = w^2/12:
    -ln(2 pi)/2 - w^2/24 + ln w (-0.3925 for Uniform(-1, 1)); with a learned std, the best constant
    Gaussian has variance w^2/12: -ln(2 pi e w^2/12)/2 + ln w = ln(12 / (2 pi e))/2 = -0.1765.
    """
    if code.kind == "categorical":
        return 0.0
    w = _width(code)
    if code.learn_std:
        return code.dim * 0.5 * math.log(12.0 / (2.0 * math.pi * math.e))
    return code.dim * (-0.5 * _LOG_2PI - w * w / 24.0 + math.log(w))


def information_ceiling(code) -> Optional[float]:
    """The largest L_I a code can reach (nats): ln k for a categorical code; with std fixed at 1,
    a perfect mean, -ln(2 pi)/2 + ln w per dim (-0.2258 for Uniform(-1, 1)); None with a learned
    std (it grows without bound as Q's std shrinks)."""
    if code.kind == "categorical":
        return math.log(code.k)
    if code.learn_std:
        return None
    return code.dim * (-0.5 * _LOG_2PI + math.log(_width(code)))


def unused_threshold(code, share: float = SHARE) -> float:
    """The L_I below which ``code`` counts as unused: the uninformed value plus ``share`` of what Q
    can gain over it.

    Categorical: ``share * ln k``. Continuous, per dim: L_I gains (w^2/12 - e)/2 over the uninformed
    value with std fixed at 1 and ln(w^2/12 / e)/2 with a learned std, where e is Q's mean squared
    error; both thresholds are e = (1 - share) * w^2/12, i.e. Q's guess explains ``share`` of the
    code's variance: +share * w^2/24 (0.0333 for Uniform(-1, 1) at 20%) and -ln(1 - share)/2 (0.1116).
    """
    if code.kind == "categorical":
        return share * math.log(code.k)
    if code.learn_std:
        gain = -0.5 * math.log(1.0 - share)
    else:
        gain = share * _width(code) ** 2 / 24.0
    return uninformed_information(code) + code.dim * gain


def pixel_spread(images) -> float:
    """The mean over pixels (and channels) of the standard deviation across images: 0 when every
    image is the same. ``images``: [N, ...] in [0, 1]."""
    x = np.asarray(images, np.float64)
    return float(x.reshape(len(x), -1).std(axis=0).mean())


def reference_spread(images: np.ndarray, n: int = REFERENCE_IMAGES) -> float:
    """``pixel_spread`` of ``n`` evenly spaced real images (uint8 [N, H, W, C], as ``data`` holds them)."""
    idx = np.linspace(0, len(images) - 1, min(n, len(images))).astype(np.int64)
    return pixel_spread(np.asarray(images)[idx].astype(np.float64) / 255.0)


# --- the messages ----------------------------------------------------------------------------------
def _not_rewarded(code_name: str, mode: str, lambdas: Mapping[str, float]) -> Optional[str]:
    if mode == "gan":
        return "mode=gan"
    if lambdas.get(code_name, 1.0) == 0.0:
        return "its lambda is 0"
    return None


def _code_message(code, mean, threshold, first, last, warmup, expected):
    ceiling = information_ceiling(code)
    if code.kind == "categorical":
        what = (
            f"below {threshold:.3f}, {SHARE:.0%} of the {ceiling:.3f} nats it can carry (H({code.name}) = ln {code.k})"
        )
    else:
        reach = f", a perfect one {ceiling:.3f}" if ceiling is not None else ""
        what = (
            f"below {threshold:.3f}: Q's guess of {code.name} explains less than {SHARE:.0%} of its variance "
            f"(a Q that ignores the image gets {uninformed_information(code):.3f}{reach})"
        )
    text = (
        f"code {code.name} looks unused: its L_I, {mean:.3f} nats over steps {first}-{last} (after the "
        f"{warmup}-iteration warm-up), is {what}. Q cannot read {code.name} from G's images, so G barely "
        f"varies them with it (or Q has not learned to read it). "
    )
    if expected:
        return text + f"Expected here ({expected}): G is not rewarded for L_I({code.name})."
    lam = "train.lambda_disc" if code.kind == "categorical" else "train.lambda_cont"
    return text + (
        f"In InfoGAN this usually means the code's lambda ({lam}) is too small against the GAN loss, "
        "or that training broke down (see the other health warnings)."
    )


def _d_wins_message(first, last, count, median, threshold):
    return (
        f"D wins: the median of D(G(z)) over the {count} logged steps from step {first} to {last} is "
        f"{median:.4f}, below {threshold:g}. D tells G's samples from real images with near certainty "
        "and G is not catching up. It usually means G fell behind (G's learning rate too low, or D's too "
        "high) or G collapsed; the samples of such a run rarely look like the data."
    )


def _collapse_message(step, spread, threshold, real):
    return (
        f"G's samples are near constant at step {step}: their per-pixel std across {PROBE_SAMPLES} samples "
        f"(inference mode, fixed seed) is {spread:.4f}, below {threshold:.4f} ({COLLAPSE_SHARE:.0%} of the "
        f"{real:.4f} of real training images). G draws almost the same image for every z and c; a high L_I "
        "then means Q reads the codes from differences too faint to see. It usually means the L_I reward "
        "outweighs the GAN loss (lower the lambdas) or that D wins."
    )


def _summary(kind, code, value, threshold, expected):
    if kind == "code_unused":
        text = f"{code} unused (L_I {value:.3f} < {threshold:.3f} nats"
        return text + (f"; expected, {expected})" if expected else ")")
    if kind == "d_wins":
        return f"D wins (median D(G(z)) {value:.3f} < {threshold:g})"
    return f"G collapsed (sample spread {value:.4f} < {threshold:.4f})"


# --- the monitor ------------------------------------------------------------------------------------
class Monitor:
    """Runs the checks on what the training loop logs; raises each warning once per run.

    ``loop.fit(..., health=monitor)`` calls ``resume`` when it starts, ``observe`` at every logged
    step and ``probe`` at every evaluation step and at the end. It never touches the model's training
    RNG or its step: ``sample`` (G's images in [0, 1]) is drawn with its own seed in inference mode.

    Args:
      spec: the ``latents.LatentSpec``; mode: "infogan" or "gan"; lambdas: code name -> lambda (a
        code that G is not rewarded for is expected to be unused and the message says so).
      warmup: iterations before any check.
      run_dir: where the collapse measurements are kept (``PROBES_FILE``); None: not kept.
      sample: () -> G's images [N, H, W, C] in [0, 1]; None: no collapse check.
      real_spread: ``pixel_spread`` of real training images (``reference_spread``).
      d_wins_span: iterations of D(G(z)) the D-wins check looks back over (``D_WINS_SPAN``; a test
        shortens it). The other thresholds are the module's constants, which the messages state.
    """

    def __init__(
        self,
        spec,
        mode: str = "infogan",
        lambdas: Optional[Mapping[str, float]] = None,
        warmup: int = WARMUP,
        run_dir: Optional[str] = None,
        sample: Optional[Callable] = None,
        real_spread: Optional[float] = None,
        *,
        d_wins_span: int = D_WINS_SPAN,
    ):
        self.codes = list(spec.codes)
        self.mode, self.lambdas = mode, dict(lambdas or {})
        self.warmup, self.d_wins_span = warmup, d_wins_span
        self.sample, self.real_spread = sample, real_spread
        self.probes_path = os.path.join(run_dir, PROBES_FILE) if run_dir else None
        self._reset()

    def _reset(self):
        self.warnings: List[dict] = []  # in the order raised
        self._raised = set()  # (kind, code)
        self._end: Dict[tuple, tuple] = {}  # (kind, code) -> (value, condition holds) at the last check
        self._windows = {c.name: collections.deque() for c in self.codes}
        self._d_fake = collections.deque()  # (step, D(G(z))) of the last d_wins_span iterations
        self._first_d_step = None
        self._probed = set()

    # --- what the loop calls ---
    def resume(self, start: int, history: Iterable[dict]) -> None:
        """Rebuilds the state of a run that resumes at step ``start`` from its ``history.jsonl`` rows and
        the kept collapse measurements (both cut back to ``start``); what it finds is not said again."""
        self._reset()
        probes = []
        if self.probes_path and os.path.exists(self.probes_path):
            probes = [p for p in provenance.read_jsonl(self.probes_path) if p["step"] <= start]
            tmp = self.probes_path + ".tmp"
            with open(tmp, "w") as f:
                f.writelines(json.dumps(p) + "\n" for p in probes)
            os.replace(tmp, self.probes_path)
        events = [(r["step"], 0, r) for r in history if r["step"] <= start]
        events += [(p["step"], 1, p) for p in probes]
        for step, is_probe, item in sorted(events, key=lambda e: (e[0], e[1])):
            if is_probe:
                self._probed.add(step)
                self._check_collapse(step, item["sample_spread"], item["real_spread"], emit=False)
            else:
                self.observe(step, item, emit=False)

    def observe(self, step: int, values: Mapping[str, float], emit: bool = True) -> List[dict]:
        """Feeds one logged step (``L_I/<code>`` and ``d_fake`` are read; others are ignored).
        Returns the warnings raised by it."""
        new = []
        for code in self.codes:
            value = values.get(f"L_I/{code.name}")
            if value is None:
                continue
            window = self._windows[code.name]
            window.append((step, float(value)))
            while window[0][0] <= step - WINDOW:
                window.popleft()
            if step < self.warmup:
                continue
            mean = float(np.mean([v for _, v in window]))
            threshold = unused_threshold(code)
            self._end[("code_unused", code.name)] = (mean, mean < threshold)
            if mean < threshold:
                expected = _not_rewarded(code.name, self.mode, self.lambdas)
                message = _code_message(code, mean, threshold, window[0][0], step, self.warmup, expected)
                new += self._raise(
                    "code_unused",
                    code.name,
                    step,
                    mean,
                    threshold,
                    message,
                    _summary("code_unused", code.name, mean, threshold, expected),
                    emit,
                )
        d_fake = values.get("d_fake")
        if d_fake is not None:
            recent = self._d_fake
            recent.append((step, float(d_fake)))
            while recent[0][0] < step - self.d_wins_span:
                recent.popleft()
            self._first_d_step = step if self._first_d_step is None else self._first_d_step
            if (
                step >= self.warmup
                and step - self._first_d_step >= self.d_wins_span
                and len(recent) >= D_WINS_MIN_LOGGED
            ):
                median = float(np.median([v for _, v in recent]))
                threshold = D_FAKE_THRESHOLD
                self._end[("d_wins", None)] = (median, median < threshold)
                if median < threshold:
                    new += self._raise(
                        "d_wins",
                        None,
                        step,
                        median,
                        threshold,
                        _d_wins_message(recent[0][0], step, len(recent), median, threshold),
                        _summary("d_wins", None, median, threshold, None),
                        emit,
                    )
        return new

    def probe(self, step: int, emit: bool = True) -> List[dict]:
        """The collapse check at ``step`` (after the warm-up, once per step): draws G's samples,
        keeps the measurement, writes it to TensorBoard as ``health/sample_spread``."""
        if self.sample is None or self.real_spread is None or step < self.warmup or step in self._probed:
            return []
        spread = pixel_spread(self.sample())
        self._probed.add(step)
        if self.probes_path:
            with open(self.probes_path, "a") as f:
                f.write(
                    json.dumps({"step": int(step), "sample_spread": spread, "real_spread": self.real_spread}) + "\n"
                )
        if emit:
            import tensorflow as tf  # here: the module's checks and notes need no TensorFlow

            tf.summary.scalar("health/sample_spread", spread, step=step)
        return self._check_collapse(step, spread, self.real_spread, emit)

    def _check_collapse(self, step, spread, real, emit):
        threshold = COLLAPSE_SHARE * real
        self._end[("collapse", None)] = (spread, spread < threshold)
        if spread >= threshold:
            return []
        return self._raise(
            "collapse",
            None,
            step,
            spread,
            threshold,
            _collapse_message(step, spread, threshold, real),
            _summary("collapse", None, spread, threshold, None),
            emit,
        )

    def _raise(self, kind, code, step, value, threshold, message, summary, emit) -> List[dict]:
        if (kind, code) in self._raised:
            return []
        self._raised.add((kind, code))
        record = {
            "kind": kind,
            "code": code,
            "step": int(step),
            "value": round(float(value), 6),
            "threshold": round(float(threshold), 6),
            "message": message,
            "summary": summary,
        }
        self.warnings.append(record)
        if emit:
            logging.warning("training health, step %d: %s", step, message)
            import tensorflow as tf

            tag = f"health/{kind}" + (f"/{code}" if code else "")
            tf.summary.text(tag, f"step {step}: {message}", step=step)
        return [record]

    def records(self) -> List[dict]:
        """The warnings for ``metrics.json``: each with ``end_value`` (the same statistic at the last
        check) and ``holds_at_end`` (whether the condition still held then)."""
        out = []
        for w in self.warnings:
            value, holds = self._end.get((w["kind"], w["code"]), (w["value"], True))
            out.append({**w, "end_value": round(float(value), 6), "holds_at_end": bool(holds)})
        return out


# --- figures ---------------------------------------------------------------------------------------
def figure_note(records_by_run: Mapping[str, Optional[List[dict]]], width: int = 95) -> Optional[str]:
    """The line(s) a figure's subtitle gets for its runs' warnings (None when there are none).

    ``records_by_run``: a label ("" for a figure of one run) -> that run's ``metrics.json`` ``health``.
    """
    parts = []
    for label, records in records_by_run.items():
        for r in records or []:
            text = f"{r['summary']} from step {r['step']}"
            if not r.get("holds_at_end", True):
                text += " (no longer at the end)"
            parts.append(f"{label}: {text}" if label else text)
    if not parts:
        return None
    lines = ["Training health: " + parts[0]]
    for part in parts[1:]:  # whole items per line
        if len(lines[-1]) + 2 + len(part) > width:
            lines[-1] += ";"
            lines.append(part)
        else:
            lines[-1] += "; " + part
    return "\n".join(lines)
