"""Score a sweep's final policies on a target task distribution (see students/experiments/target_eval.py).

    python scripts/evaluate_target.py runs/sweeps/pointgate_neural --mean 1.25 0.4 --std 0.1 0.05 \\
        --tasks 25 --episodes 2 --out benchmarks/results/pointgate_neural/target
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from students.experiments.target_eval import evaluate_sweep, target_table, write_target_report  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", help="sweep output root (finished run directories at any depth below it)")
    p.add_argument("--mean", type=float, nargs="+", required=True, help="target mean, raw task units")
    p.add_argument("--std", type=float, nargs="+", required=True, help="target std per dimension")
    p.add_argument("--tasks", type=int, default=25, help="test tasks drawn from the target")
    p.add_argument("--episodes", type=int, default=1, help="episodes per test task")
    p.add_argument("--seed", type=int, default=0, help="seed of the test tasks and episodes")
    p.add_argument("--baseline", default="random", help="teacher label the others are tested against")
    p.add_argument("--out", default=None, help="write OUT.json (per run) and OUT.md (the table)")
    args = p.parse_args(argv)
    results, tasks = evaluate_sweep(
        args.root, {"mean": args.mean, "std": args.std}, args.tasks, n_episodes=args.episodes, seed=args.seed
    )
    print(target_table(results, args.baseline))
    if args.out:
        write_target_report(results, tasks, args.out, args.baseline)
        print(f"written to {args.out}.json and {args.out}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
