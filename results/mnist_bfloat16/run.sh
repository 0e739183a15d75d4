#!/usr/bin/env bash
# PLAN.md's runs: mnist in mixed_bfloat16, seeds 0-2. Run from the repository root in the environment
# of requirements.txt; rerunning resumes (a seed that is done is reused).
set -euo pipefail
python -m infogan_tf.sweep --experiment=mnist --precision=mixed_bfloat16 --seeds=0-2 --parallel=2 \
    --logdir=runs --output_dir=results/mnist_bfloat16 --data_dir=../shared/tensorflow_datasets
