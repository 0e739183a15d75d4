#!/usr/bin/env bash
# The study of PLAN.md, in its order: A and B in alternating blocks of two seeds, then issue 18's
# bfloat16 seeds, C, F and Figure 1 (third seeds paired across settings), then each setting's full
# record. Run from the repository root, in the environment of
# requirements.txt (`python` is the one on PATH). Rerunning resumes: a seed
# that is done is reused, an interrupted one resumes from its checkpoint. PARALLEL (default 2, as
# PLAN.md's probe chose; see PROGRESS.md) is the sweep's --parallel.
set -euo pipefail
PARALLEL=${PARALLEL:-2}
common=(--logdir=runs --output_dir=results/mnist_study --data_dir=../shared/tensorflow_datasets --parallel="$PARALLEL")
A=(--experiment=mnist)
B=(--experiment=mnist_paper)
C1=(--experiment=mnist --set=latent.codes.c2.learn_std=true --set=latent.codes.c3.learn_std=true)
C2=(--experiment=mnist --set=leaky_slope=0.1)
C3=(--experiment=mnist --set=train.lambda_cont=0.1)
F=(--experiment=mnist_paper --set=train.lambda_cont=1.0)
# A block with a failed seed is reported and the study goes on; an interruption (exit 130) stops it.
sweep() {
  local rc=0
  python -m infogan_tf.sweep "${common[@]}" "$@" || rc=$?
  if [ "$rc" -eq 130 ]; then exit 130; fi
  if [ "$rc" -ne 0 ]; then echo "run.sh: sweep $* failed (exit $rc); going on" >&2; fi
  claims
}
# The claims table of results/README.md, from every record so far (study.json; no training).
claims() {
  python -m infogan_tf.claims --study=results/mnist_study/study.json --readme=results/README.md > /dev/null \
    || echo "run.sh: the claims table failed; going on" >&2
}

for block in 0-1 2-3 4-5 6-7 8-9; do
  sweep "${A[@]}" --seeds="$block"
  sweep "${B[@]}" --seeds="$block"
done
# From here the settings have three seeds (and F one). Seeds 0-1 of each train two at a time; the
# third seeds are paired across settings, two sweeps at once with one thread each (what --parallel=2
# gives each seed), so that no seed trains alone on one of the two cores (PLAN.md, note of 2026-12-02).
# Issue 18's bfloat16 sweep (results/mnist_bfloat16/PLAN.md, whose run.sh is the same sweep in one
# command) needs A's ten seeds; it runs here, between blocks, so that it never shares the cores with
# the study's runs except its own pairing. The study's runs, seeds and settings are unchanged.
BF16=(--experiment=mnist --precision=mixed_bfloat16 --output_dir=results/mnist_bfloat16)
MI_I=(--experiment=mnist_mi_infogan)
MI_G=(--experiment=mnist_mi_gan)
# both NAME1 SEEDS1 NAME2 SEEDS2: the two sweeps at once, each one seed at a time on one thread.
both() {
  declare -n one=$1 two=$3
  local rc1=0 rc2=0 p1 p2
  python -m infogan_tf.sweep "${common[@]}" "${one[@]}" --seeds="$2" --parallel=1 --threads=1 & p1=$!
  python -m infogan_tf.sweep "${common[@]}" "${two[@]}" --seeds="$4" --parallel=1 --threads=1 & p2=$!
  wait "$p1" || rc1=$?
  wait "$p2" || rc2=$?
  if [ "$rc1" -eq 130 ] || [ "$rc2" -eq 130 ]; then exit 130; fi
  for rc in "$rc1" "$rc2"; do
    if [ "$rc" -ne 0 ]; then echo "run.sh: a sweep of both $* failed (exit $rc); going on" >&2; fi
  done
  claims
}
sweep "${BF16[@]}" --seeds=0-1
for setting in C1 C2 C3; do
  declare -n args=$setting
  sweep "${args[@]}" --seeds=0-1
done
both BF16 2 C1 2
both C2 2 C3 2
both F 0 MI_I 0-4
sweep "${MI_G[@]}" --seeds=0-4
# The records of the whole settings (every seed reused).
sweep "${BF16[@]}" --seeds=0-2
for setting in C1 C2 C3; do
  declare -n args=$setting
  sweep "${args[@]}" --seeds=0-2
done
sweep "${A[@]}" --seeds=0-9
sweep "${B[@]}" --seeds=0-9
