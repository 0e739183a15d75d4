"""What a record says about where it came from (the commit of the code and the machine's CPU),
writing a JSON record atomically, and reading a record of JSON lines back."""

import json
import os
import platform
import subprocess
from typing import Optional


def git_commit() -> str:
    """HEAD of the repository this package lives in, with "-dirty" for uncommitted changes; "unknown"
    outside a git checkout."""
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpuinfo(key: str, path: str = "/proc/cpuinfo") -> Optional[str]:
    """The first value of ``key`` in /proc/cpuinfo ("model name", "flags", "cpu MHz"), stripped; None
    where the file or the key is missing (not Linux, or a kernel that does not report it)."""
    try:
        with open(path) as f:
            for line in f:
                name, sep, value = line.partition(":")
                if sep and name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one), e.g. "Intel(R) Xeon(R) Processor"."""
    return cpuinfo("model name") or platform.processor() or platform.machine() or "unknown"


def cpu_flags() -> set:
    """The CPU's feature flags as /proc/cpuinfo names them ("avx512f", "amx_bf16", ...); empty where
    there is none."""
    return set((cpuinfo("flags") or "").split())


def write_json(path: str, obj) -> None:
    """Writes ``obj`` as indented JSON atomically (a temporary file, then a rename): a kill mid-write
    leaves the previous record whole."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def read_jsonl(path: str) -> list:
    """The rows of a JSON-lines file (``history.jsonl``, ``health_probes.jsonl``); [] when it is absent.

    A line that is not valid JSON (a write cut off by a kill or a full disk) is dropped with a warning
    naming the file and the line, so that such a run still resumes: the rewrite on resume removes it.
    """
    if not os.path.exists(path):
        return []
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                from absl import logging

                logging.warning("%s: line %d is not valid JSON (cut off by an interruption?); dropped", path, number)
    return rows
