"""A sweep's final policies on a target task distribution (the teachers' expert knowledge).

A run evaluates its policy on the env's whole test grid while it trains. Teachers given a
target distribution (``target_dist``: CURROT, SPDL) aim at part of the space; this module
scores every finished run's last checkpoint on a fixed sample of that distribution, with the
same rule as training-time evaluation (:class:`students.evaluation.TaskEvaluator`: a task
is mastered when at least half its episodes succeed), and compares teachers with Welch's
t-test against a baseline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from students.checkpoint import read_checkpoint
from students.config import RunConfig, algorithm_class
from students.evaluation import TaskEvaluator
from students.experiments.report import load_runs, welch_test
from students.run_dir import CHECKPOINT_DIR, CONFIG_FILE, RunDirError
from students.train import EnvFactory

__all__ = [
    "TargetResult", "evaluate_on_tasks", "evaluate_sweep", "target_table", "target_test_set", "write_target_report",
]


def target_test_set(task_space: spaces.Box, dist: Mapping[str, Any], n: int, seed: int = 0) -> np.ndarray:
    """``n`` tasks drawn from a diagonal Gaussian ``{"mean", "std"}`` (raw units), clipped
    into ``task_space``; seeded, so every run is scored on the same tasks.

    :raises ValueError: for a distribution whose length is not the space's dimension, or ``n < 1``.
    """
    mean = np.asarray(dist["mean"], dtype=np.float64)
    std = np.asarray(dist["std"], dtype=np.float64)
    if mean.shape != task_space.shape or std.shape != task_space.shape:
        raise ValueError(f"target distribution {dict(dist)!r} does not match the task space {task_space}")
    if n < 1:
        raise ValueError(f"target test set size must be >= 1, got {n!r}")
    draws = mean + std * np.random.default_rng(seed).standard_normal((n, mean.shape[0]))
    return np.clip(draws, task_space.low, task_space.high)


def evaluate_on_tasks(run_dir: str | Path, tasks: np.ndarray, n_episodes: int = 1, seed: int = 0) -> dict[str, Any]:
    """A run's latest checkpoint on ``tasks`` (see :meth:`TaskEvaluator.evaluate`)."""
    run_dir = Path(run_dir)
    config = RunConfig.from_yaml(run_dir / CONFIG_FILE)
    checkpoint = read_checkpoint(run_dir / CHECKPOINT_DIR)
    if checkpoint is None:
        raise RunDirError(f"{run_dir / CHECKPOINT_DIR}: no checkpoint to evaluate")
    model = algorithm_class(config.student).load(checkpoint.model_path, device="cpu")
    evaluator = TaskEvaluator(EnvFactory(config.env, config.env_kwargs), tasks, n_episodes=n_episodes, seed=seed)
    try:
        out = evaluator.evaluate(model, checkpoint.vec_normalize)
    finally:
        evaluator.close()
    out["step"] = int(checkpoint.loop_state["step"])
    return out


@dataclass
class TargetResult:
    """One run scored on the target test set."""

    run_dir: str
    teacher: str
    seed: int
    step: int
    mastered_pct: float


def evaluate_sweep(
    root: str | Path, dist: Mapping[str, Any], n_tasks: int, n_episodes: int = 1, seed: int = 0
) -> tuple[list[TargetResult], np.ndarray]:
    """Score every finished run under ``root`` on one target test set.

    :returns: the results (sorted by teacher, seed) and the test tasks.
    """
    runs, _ = load_runs(root)
    tasks = None
    results = []
    for run in runs:
        if tasks is None:
            config = RunConfig.from_yaml(run.run_dir / CONFIG_FILE)
            env = EnvFactory(config.env, config.env_kwargs)()
            task_space = env.get_wrapper_attr("task_space")
            env.close()
            tasks = target_test_set(task_space, dist, n_tasks, seed=seed)
        out = evaluate_on_tasks(run.run_dir, tasks, n_episodes=n_episodes, seed=seed)
        results.append(TargetResult(str(run.run_dir), run.teacher, run.seed, out["step"], out["mastered_pct"]))
    return results, tasks


def target_table(results: Sequence[TargetResult], baseline: str = "random") -> str:
    """A markdown table: % of the target test set mastered per teacher (mean ± sample std over
    seeds) and Welch's p against ``baseline``."""
    by_teacher: dict[str, list[float]] = {}
    for r in results:
        by_teacher.setdefault(r.teacher, []).append(r.mastered_pct)
    base = np.array(by_teacher.get(baseline, []))
    lines = ["| teacher | seeds | % of target mastered | p vs random |", "|---|---|---|---|"]
    for teacher in sorted(by_teacher, key=lambda t: (t != baseline, t)):
        x = np.array(by_teacher[teacher])
        std = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
        if teacher == baseline:
            p_txt = "(baseline)"
        elif len(base) == 0:
            p_txt = "n/a (no baseline runs)"
        else:
            p, note = welch_test(x, base)
            p_txt = f"n/a ({note})" if p is None else f"{p:.3g}{' *' if p < 0.05 else ''}"
        lines.append(f"| {teacher} | {len(x)} | {x.mean():.1f} ± {std:.1f} | {p_txt} |")
    return "\n".join(lines) + "\n"


def write_target_report(
    results: Sequence[TargetResult], tasks: np.ndarray, path: str | Path, baseline: str = "random"
) -> None:
    """``results`` and ``tasks`` as JSON at ``path`` (``.json``) with the table beside it (``.md``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(
        json.dumps({"tasks": tasks.tolist(), "runs": [vars(r) for r in results]}, indent=1) + "\n"
    )
    path.with_suffix(".md").write_text(target_table(results, baseline))
