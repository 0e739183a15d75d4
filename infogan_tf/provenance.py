"""What a record says about where it came from (the commit of the code and the machine's CPU),
writing a JSON record atomically, and reading a record of JSON lines back."""

import json
import os
import platform
import subprocess


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


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one), e.g. "Intel(R) Xeon(R) Processor"."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


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
