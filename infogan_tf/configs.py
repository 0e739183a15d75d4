"""Experiment and figure configs: the JSON files in ``paper_configs/``.

Each file holds ``experiments`` (a trained model: dataset, architecture, latent spec,
hyperparameters), ``figures`` (what to draw from which experiment) and ``groups`` (figure lists such
as ``all_mnist``). An experiment may ``extends`` another: its keys are merged over the parent's,
recursively for dicts.
"""

import copy
import json
import os
from importlib import resources
from typing import Dict, List, Optional


class ConfigError(ValueError):
    pass


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "latent":
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def default_config_dir() -> str:
    return str(resources.files("paper_configs"))


class Registry:
    """All experiments, figures and groups found in a config directory."""

    def __init__(self, config_dir: Optional[str] = None):
        self.config_dir = config_dir or default_config_dir()
        raw_exps, self.figures, self.groups = {}, {}, {}
        names = sorted(f for f in os.listdir(self.config_dir) if f.endswith(".json"))
        if not names:
            raise ConfigError(f"no *.json configs in {self.config_dir!r}")
        for fname in names:
            path = os.path.join(self.config_dir, fname)
            try:
                with open(path) as f:
                    data = json.load(f)
            except json.JSONDecodeError as e:
                raise ConfigError(f"{path}: invalid JSON: {e}") from None
            for section, target in (("experiments", raw_exps), ("figures", self.figures),
                                    ("groups", self.groups)):
                for key, value in data.get(section, {}).items():
                    if key in target:
                        raise ConfigError(f"{path}: {section[:-1]} {key!r} is defined twice")
                    target[key] = value
        if "all" not in self.groups:
            self.groups["all"] = list(self.figures)  # every figure, in file order
        self.experiments = {name: self._resolve(name, raw_exps, []) for name in raw_exps}
        for name, fig in self.figures.items():
            for exp in self.figure_experiments(name):
                if exp not in self.experiments:
                    raise ConfigError(f"figure {name!r} names unknown experiment {exp!r}")
        for name, members in self.groups.items():
            for m in members:
                if m not in self.figures:
                    raise ConfigError(f"group {name!r} names unknown figure {m!r}")

    def _resolve(self, name: str, raw: dict, chain: List[str]) -> dict:
        if name in chain:
            raise ConfigError(f"experiment {name!r} extends itself: {' -> '.join(chain + [name])}")
        cfg = raw[name]
        parent = cfg.get("extends")
        if parent is not None:
            if parent not in raw:
                raise ConfigError(f"experiment {name!r} extends unknown experiment {parent!r}")
            base = self._resolve(parent, raw, chain + [name])
            base.pop("notes", None) if "notes" in cfg else None
            cfg = _merge(base, {k: v for k, v in cfg.items() if k != "extends"})
        cfg = copy.deepcopy(cfg)
        cfg["name"] = name
        return cfg

    def figure_experiments(self, figure: str) -> List[str]:
        fig = self.figures[figure]
        if "experiments" in fig:
            return list(fig["experiments"].values())
        return [fig["experiment"]]

    def valid_figure_names(self) -> List[str]:
        return sorted(self.figures) + sorted(self.groups)

    def expand(self, figure: str) -> List[str]:
        """A figure or group name to the list of figure names it stands for."""
        if figure in self.groups:
            return list(self.groups[figure])
        if figure in self.figures:
            return [figure]
        raise ConfigError(
            f"unknown figure {figure!r}. Valid --figure values: {', '.join(self.valid_figure_names())}")

    def experiment(self, name: str) -> Dict:
        try:
            return copy.deepcopy(self.experiments[name])
        except KeyError:
            raise ConfigError(
                f"unknown experiment {name!r}; valid: {', '.join(sorted(self.experiments))}") from None
