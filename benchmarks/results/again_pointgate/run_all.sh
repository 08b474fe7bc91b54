#!/usr/bin/env bash
# The whole PointGate AGAIN report: classroom (6 ALP-GMM runs), classroom file, 20 new students,
# summary and figure. Run from the repository root; one core, about 2 min per run.
# Usage: bash benchmarks/results/again_pointgate/run_all.sh [RUNS_ROOT]   (default runs/again_pointgate)
set -euo pipefail
ROOT=${1:-runs/again_pointgate}
OUT=benchmarks/results/again_pointgate
COMMON=(--steps 150000 --eval-every 25000 --eval-tasks 100 --teacher-log-every 2000
        --checkpoint-every 50000 --wandb-mode disabled --no-progress-bar --torch-threads 1)
train() {  # train RUN_DIR ARGS...: skip runs already finished (resumable after an interruption)
  local dir=$1; shift
  if [ -f "$dir/DONE" ]; then echo "done already: $dir"; return; fi
  rm -rf "$dir"
  python scripts/train.py "$@" "${COMMON[@]}" --run-dir "$dir"
}
for spec in "-0.02 0" "0.02 0" "-0.01 0" "0.01 0" "-0.02 1" "0.02 1"; do
  set -- $spec
  train "$ROOT/classroom/drift$1_s$2" --teacher alp-gmm --teacher-params "reward_range=[0, 25]" \
    --env-kwargs "drift=$1" --seed "$2"
done
python scripts/build_classroom.py "$ROOT/classroom" --out "$ROOT/classroom.json"
for d in 0.015 -0.015; do
  for s in 2 3 4 5; do
    train "$ROOT/new/alp-gmm_drift${d}_s$s" --teacher alp-gmm --teacher-params "{reward_range: [0, 25]}" \
      --env-kwargs "drift=$d" --seed "$s"
    train "$ROOT/new/again-pt750_drift${d}_s$s" --teacher again \
      --teacher-params "{reward_range: [0, 25], classroom: $ROOT/classroom.json, pretest_episodes: 750, k: 3}" \
      --env-kwargs "drift=$d" --seed "$s"
    # [MA]'s -gt: the expert among the classroom students of the nearest drifts, no pre-test
    train "$ROOT/new/again-gt-pt750_drift${d}_s$s" --teacher again \
      --teacher-params "{reward_range: [0, 25], classroom: $ROOT/classroom.json, pretest_episodes: 750, k: 3, expert_selection: ground_truth, student_params: {env_kwargs: {drift: $d}}}" \
      --env-kwargs "drift=$d" --seed "$s"
    if [ "$s" -le 3 ]; then
      train "$ROOT/new/again_drift${d}_s$s" --teacher again \
        --teacher-params "{reward_range: [0, 25], classroom: $ROOT/classroom.json, pretest_episodes: 250, k: 3}" \
        --env-kwargs "drift=$d" --seed "$s"
    fi
  done
done
python -c "import json, sys; from benchmarks.again import summarize_run_groups as s; \
json.dump(s(sys.argv[1] + '/new', sys.argv[2] + '/curves.png'), open(sys.argv[2] + '/summary.json', 'w'), indent=1)" "$ROOT" "$OUT"
