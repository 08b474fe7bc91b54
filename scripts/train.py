"""Train a stable-baselines3 student under a teacher: the main job of teachrl.

    python scripts/train.py                       # ALP-GMM teaching PPO on PointGate (defaults)
    python scripts/train.py --teacher random --steps 100000 --student-param learning_rate=1e-3
    python scripts/train.py --config my_run.yaml --seed 3
    python scripts/train.py --teacher ucb --score advantage --levels "[[0, 1.5], [0.5, 1.0], [1.0, 0.6]]"
    python scripts/train.py --resume runs/<run>   # continue from the latest checkpoint

Precedence: built-in defaults < ``--config`` file < command-line flags.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

from students.config import RunConfig, load_yaml, parse_overrides

# Flags that map one-to-one onto RunConfig fields (None = not given).
_SIMPLE = (
    "env", "teacher", "student", "policy", "steps", "n_envs", "vec_env", "start_method", "seed",
    "device", "score", "advantage_norm", "eval_every", "eval_set", "eval_tasks", "eval_episodes", "checkpoint_every",
    "log_every", "torch_threads", "run_dir", "runs_root", "wandb_mode", "wandb_project", "wandb_group",
)


def build_parser() -> argparse.ArgumentParser:
    d = RunConfig()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", help=f"gymnasium id (default {d.env})")
    p.add_argument("--env-kwargs", help="YAML mapping of gymnasium.make kwargs, e.g. '{body: short}'")
    p.add_argument("--teacher", help=f"teacher name (default {d.teacher})")
    p.add_argument("--student", help=f"ppo, a2c, sac, td3, ddpg, dqn (default {d.student})")
    p.add_argument("--policy", help=f"SB3 policy (default {d.policy})")
    p.add_argument("--steps", type=int, help=f"total env steps (default {d.steps})")
    p.add_argument("--n-envs", type=int, help=f"parallel envs (default {d.n_envs})")
    p.add_argument("--vec-env", help=f"dummy or subproc (default {d.vec_env})")
    p.add_argument("--start-method", help=f"subproc start method (default {d.start_method})")
    p.add_argument("--seed", type=int, help=f"seed of teacher, envs and student (default {d.seed})")
    p.add_argument("--device", help=f"auto, cpu or cuda (default {d.device})")
    p.add_argument("--config", help="YAML file with RunConfig keys")
    p.add_argument("--teacher-param", action="append", metavar="K=V", help="teacher hyperparameter (repeatable)")
    p.add_argument("--student-param", action="append", metavar="K=V", help="SB3 constructor argument (repeatable)")
    p.add_argument(
        "--levels", metavar="YAML",
        help="discrete env tasks for the teacher: a YAML list of tasks or mapping name -> task, "
        "e.g. '[[0, 1.5], [0.5, 1.0]]' or '{easy: [0, 1.5], hard: [1.5, 0.4]}'",
    )
    p.add_argument("--score", help=f"return, success, advantage or positive_advantage (default {d.score})")
    p.add_argument(
        "--advantage-norm",
        help=f"scale of the advantage score: batch (|A| / rollout std) or none (default {d.advantage_norm})",
    )
    p.add_argument("--normalize", action="store_true", default=None, help="wrap envs in VecNormalize")
    p.add_argument("--eval-every", type=int, help=f"evaluate every N steps, 0 = never (default {d.eval_every})")
    p.add_argument("--eval-set", help=f"grid (over the task space) or levels (the --levels) (default {d.eval_set})")
    p.add_argument("--eval-tasks", type=int, help=f"grid test-set size (default {d.eval_tasks})")
    p.add_argument("--eval-episodes", type=int, help=f"episodes per test task (default {d.eval_episodes})")
    p.add_argument("--checkpoint-every", type=int, help=f"checkpoint every N steps (default {d.checkpoint_every})")
    p.add_argument("--log-every", type=int, help=f"metrics every N steps (default {d.log_every})")
    p.add_argument("--torch-threads", type=int, help=f"torch threads (default {d.torch_threads})")
    p.add_argument("--run-dir", help="run directory (default: a new folder under --runs-root)")
    p.add_argument("--runs-root", help=f"parent of new run directories (default {d.runs_root})")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue this run from its latest checkpoint")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--wandb-mode", help="online, offline or disabled (default offline)")
    p.add_argument("--wandb-project", help=f"W&B project (default {d.wandb_project})")
    p.add_argument("--wandb-group", help="W&B group")
    p.add_argument("--wandb-tags", nargs="*", help="W&B tags")
    return p


def config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The config dict the flags describe: defaults < ``--config`` < flags."""
    data = RunConfig.from_yaml(args.config).to_dict() if args.config else RunConfig().to_dict()
    for name in _SIMPLE:
        value = getattr(args, name)
        if value is not None:
            data[name] = value
    if args.env_kwargs is not None:
        kwargs = load_yaml(args.env_kwargs)
        if not isinstance(kwargs, dict):
            raise ValueError(f"--env-kwargs must be a YAML mapping, got {args.env_kwargs!r}")
        data["env_kwargs"] = kwargs
    if args.levels is not None:
        try:
            data["levels"] = load_yaml(args.levels)
        except yaml.YAMLError as err:
            raise ValueError(f"--levels is not valid YAML: {args.levels!r}") from err
    data["teacher_params"] = {**data["teacher_params"], **parse_overrides(args.teacher_param, "teacher")}
    data["student_params"] = {**data["student_params"], **parse_overrides(args.student_param, "student")}
    if args.normalize:
        data["normalize"] = True
    if args.wandb_tags is not None:
        data["wandb_tags"] = list(args.wandb_tags)
    data["progress_bar"] = not args.no_progress
    return data


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from students.train import run_curriculum
    from students.vec_env import WorkerCrashedError

    try:
        if args.resume:
            given: dict[str, Any] = {"progress_bar": not args.no_progress}
            if args.steps is not None:
                given["steps"] = args.steps
            result = run_curriculum(given, resume=args.resume)
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
