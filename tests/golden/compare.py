"""The golden test's margin on this machine: reruns both golden paths (with and without XLA) and
adds this CPU's per-step relative differences against the golden files to ``other_cpu_kinds.json``.

    python tests/golden/compare.py --data_dir=../shared/tensorflow_datasets

The golden files were written on one CPU kind; the test's tolerances (``tests/test_golden.py``) are
meant to hold on every kind. This records how much of them another kind uses.
"""

import argparse
import datetime
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/, for test_golden and conftest

import test_golden as g  # noqa: E402

from infogan_tf import provenance  # noqa: E402

RECORD = os.path.join(HERE, "other_cpu_kinds.json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", required=True, help="a TFDS data dir holding mnist 3.0.1")
    parser.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    args = parser.parse_args()
    isa = sorted(provenance.cpu_flags() & {"avx512f", "avx512_bf16", "amx_bf16", "avx2", "fma"})
    entry = {
        "cpu": provenance.cpu_model(),
        "cpu_flags": isa,
        "commit": provenance.git_commit(),
        "date": datetime.date.today().isoformat(),
        "note": args.note,
    }
    for xla in (False, True):
        values = g.run_first_steps(Path(tempfile.mkdtemp()), args.data_dir, xla=xla)
        with open(g.GOLDEN[xla]) as f:
            golden = json.load(f)
        diff = g.relative_difference_per_step(values, golden["values"])
        limits = [g.tolerance(s, xla) for s in range(1, g.STEPS + 1)]
        entry["xla" if xla else "noxla"] = {
            "golden_cpu": golden["cpu"],
            "relative_difference_per_step": diff,
            "passes": all(d <= t for d, t in zip(diff, limits)),
        }
        print(
            f"{'xla' if xla else 'noxla'}: step 1 {diff[0]:.2g} (tolerance {limits[0]:g}), "
            f"step 2 {diff[1]:.2g} (tolerance {limits[1]:g}), steps 3-20 at most {max(diff[2:]):.2g} "
            f"(tolerance {limits[2]:g})"
        )
    record = {"what": __doc__.splitlines()[0], "written_by": "python tests/golden/compare.py", "machines": []}
    if os.path.exists(RECORD):
        with open(RECORD) as f:
            record = json.load(f)
    record["machines"].append(entry)
    provenance.write_json(RECORD, record)
    print(f"added {entry['cpu']} to {RECORD}")


if __name__ == "__main__":
    main()
