"""Train a stable-baselines3 student under a teacher: the main job of teachrl.

    python scripts/train.py                       # ALP-GMM teaching PPO on PointGate (defaults)
    python scripts/train.py --teacher random --steps 100000 --student-params learning_rate=1e-3
    python scripts/train.py --config my_run.yaml --seed 3
    python scripts/train.py --teacher ucb --score advantage --levels "[[0, 1.5], [0.5, 1.0], [1.0, 0.6]]"
    python scripts/train.py --resume runs/<run>   # continue from the latest checkpoint

Precedence: built-in defaults < ``--config`` file < command-line flags.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install
# As with `python -m`, modules of the current directory are importable: `--teacher mod:Class`,
# `--env mod:Id` (and their --resume) find the user's own files.
sys.path.insert(1, os.getcwd())

from students.cli import add_config_arguments, config_from_args, resume_changes


def build_parser() -> argparse.ArgumentParser:
    """The train.py parser: ``--config``, ``--resume`` and one flag per ``RunConfig`` field."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )
    p.add_argument("--config", help="YAML file with RunConfig keys (flags override it)")
    p.add_argument(
        "--resume", metavar="RUN_DIR",
        help="continue this run from its latest checkpoint (only --steps, --progress-bar and --device may change)",
    )
    add_config_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from students.train import run_curriculum
    from students.vec_env import WorkerCrashedError

    try:
        if args.resume:
            result = run_curriculum(resume_changes(args), resume=args.resume)
        else:
            result = run_curriculum(config_from_args(args))
    except ValueError as err:  # bad config, damaged or busy run directory: nothing written
        print(f"error: {err}", file=sys.stderr)
        return 2
    except WorkerCrashedError as err:  # the last checkpoint is intact: resume from it
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"\nDone: {result.steps} steps, {result.episodes} episodes.")
    if result.last_evaluation is not None:
        print(f"Test set mastered: {result.last_evaluation['mastered_pct']:.1f}%")
    print(f"Results in {result.run_dir}/ (config.yaml, history.jsonl, metrics.jsonl, "
          f"evaluations.jsonl, teacher.jsonl, checkpoints/)")
    print(f"Resume or extend: python scripts/train.py --resume {result.run_dir} --steps N")
    return 0


if __name__ == "__main__":
    sys.exit(main())
