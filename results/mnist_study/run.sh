#!/usr/bin/env bash
# The study of PLAN.md, in its order: A and B in alternating blocks of two seeds, then issue 18's
# bfloat16 seeds, C, F and Figure 1 (third seeds paired across settings), then each setting's full
# record. Run from the repository root, in the environment of
# requirements.txt (`python` is the one on PATH). Rerunning resumes: a sweep whose record is
# committed is skipped (its run directories in runs/ need not exist: a new machine starts without
# them), a seed that is done in runs/ is reused, an interrupted one resumes from its checkpoint.
# PARALLEL (default 2, as PLAN.md's probe chose; see PROGRESS.md) is the sweep's --parallel.
set -euo pipefail
PARALLEL=${PARALLEL:-2}
common=(--logdir=runs --output_dir=results/mnist_study --data_dir=../shared/tensorflow_datasets --parallel="$PARALLEL")
A=(--experiment=mnist)
B=(--experiment=mnist_paper)
C1=(--experiment=mnist --set=latent.codes.c2.learn_std=true --set=latent.codes.c3.learn_std=true)
C2=(--experiment=mnist --set=leaky_slope=0.1)
C3=(--experiment=mnist --set=train.lambda_cont=0.1)
F=(--experiment=mnist_paper --set=train.lambda_cont=1.0)
# Each setting's record directory: its run name under the output directory, as in study.json.
declare -A RECORDS=(
  [A]=results/mnist_study/mnist [B]=results/mnist_study/mnist_paper
  [C1]="results/mnist_study/mnist@latent.codes.c2.learn_std=true,latent.codes.c3.learn_std=true"
  [C2]="results/mnist_study/mnist@leaky_slope=0.1" [C3]="results/mnist_study/mnist@train.lambda_cont=0.1"
  [F]="results/mnist_study/mnist_paper@train.lambda_cont=1.0"
  [BF16]="results/mnist_bfloat16/mnist@train.precision=mixed_bfloat16"
  [MI_I]=results/mnist_study/mnist_mi_infogan [MI_G]=results/mnist_study/mnist_mi_gan
)
# recorded NAME SEEDS: the sweep's record exists (it is done; rerunning it would only rewrite it).
recorded() {
  if [ -f "${RECORDS[$1]}/sweep_seeds$2.json" ]; then
    echo "run.sh: $1 seeds $2 recorded in ${RECORDS[$1]}; skipped"
  else
    return 1
  fi
}
# sweep NAME SEEDS: one setting's seeds, --parallel at a time. A block with a failed seed is
# reported and the study goes on; an interruption (exit 130) stops it.
sweep() {
  declare -n args=$1
  local rc=0
  if recorded "$1" "$2"; then return 0; fi
  python -m infogan_tf.sweep "${common[@]}" "${args[@]}" --seeds="$2" || rc=$?
  if [ "$rc" -eq 130 ]; then exit 130; fi
  if [ "$rc" -ne 0 ]; then echo "run.sh: sweep $1 $2 failed (exit $rc); going on" >&2; fi
  claims
}
# The claims table of results/README.md, from every record so far (study.json; no training).
claims() {
  python -m infogan_tf.claims --study=results/mnist_study/study.json --readme=results/README.md > /dev/null \
    || echo "run.sh: the claims table failed; going on" >&2
}

for block in 0-1 2-3 4-5 6-7 8-9; do
  sweep A "$block"
  sweep B "$block"
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
# both NAME1 SEEDS1 NAME2 SEEDS2: the two sweeps at once, each one seed at a time on one thread
# (a recorded one is skipped, and the other then runs with --parallel=2 as any other sweep).
both() {
  if recorded "$1" "$2"; then sweep "$3" "$4"; return 0; fi
  if recorded "$3" "$4"; then sweep "$1" "$2"; return 0; fi
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
sweep BF16 0-1
# bfloat16's third seed right after its first two (note of 2026-12-02, fourth session, in PLAN.md):
# issue 18's comparison is then complete before the C blocks; the pairing is unchanged.
both BF16 2 C1 2
for setting in C1 C2 C3; do
  sweep "$setting" 0-1
done
both C2 2 C3 2
both F 0 MI_I 0-4
sweep MI_G 0-4
# No whole-setting records (A 0-9 and so on): they would rerun every seed whose run directory a new
# machine lost. The claims table pools each setting's block records (PLAN.md, note of 2026-12-02).
