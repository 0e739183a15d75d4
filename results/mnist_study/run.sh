#!/usr/bin/env bash
# The study of PLAN.md, in its order: A and B in alternating blocks of two seeds, then C, F and
# Figure 1, then each setting's full record. Run from the repository root, in the environment of
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
# Issue 18's bfloat16 sweep (results/mnist_bfloat16/PLAN.md) needs A's ten seeds; it runs here, between
# blocks, so that it never shares the cores with the study. The study's own runs and order are unchanged.
bash results/mnist_bfloat16/run.sh || { rc=$?; [ "$rc" -eq 130 ] && exit 130; echo "run.sh: the bfloat16 sweep failed (exit $rc); going on" >&2; }
claims
for setting in C1 C2 C3; do
  declare -n args=$setting
  sweep "${args[@]}" --seeds=0-2
done
sweep "${F[@]}" --seeds=0
sweep --experiment=mnist_mi_infogan --seeds=0-4
sweep --experiment=mnist_mi_gan --seeds=0-4
# The records of the whole settings (every seed reused).
sweep "${A[@]}" --seeds=0-9
sweep "${B[@]}" --seeds=0-9
