"""Scoring a sweep's final policies on a target task distribution."""

import json

import numpy as np
import pytest
from gymnasium import spaces

from students.experiments.target_eval import (
    TargetResult,
    evaluate_sweep,
    target_table,
    target_test_set,
    write_target_report,
)
from students.testing import task_success
from students.train import run_curriculum

ECHO = "students.testing:teachrl_test/TaskEcho-v0"


def test_target_test_set_is_seeded_and_clipped():
    space = spaces.Box(np.float32([-2, 0]), np.float32([2, 1.5]))
    a = target_test_set(space, {"mean": [1.9, 0.5], "std": [0.5, 0.05]}, 200, seed=3)
    assert a.shape == (200, 2) and np.array_equal(a, target_test_set(space, {"mean": [1.9, 0.5], "std": [0.5, 0.05]}, 200, seed=3))
    assert (a[:, 0] <= 2.0).all() and (a[:, 0] == 2.0).any()  # clipped into the space
    assert abs(a[:, 1].mean() - 0.5) < 0.02
    with pytest.raises(ValueError, match="does not match"):
        target_test_set(space, {"mean": [0.0], "std": [1.0]}, 5)
    with pytest.raises(ValueError, match=">= 1"):
        target_test_set(space, {"mean": [0.0, 1.0], "std": [1.0, 1.0]}, 0)


def test_target_table_welch_against_random():
    rows = [TargetResult("r", "random", s, 1, v) for s, v in enumerate([0.0, 4.0, 0.0])]
    rows += [TargetResult("c", "currot", s, 1, v) for s, v in enumerate([40.0, 48.0, 44.0])]
    table = target_table(rows)
    lines = table.splitlines()
    assert lines[2].startswith("| random | 3 | 1.3 ± 2.3 | (baseline) |")
    assert lines[3].startswith("| currot | 3 | 44.0 ± 4.0 | ")
    assert lines[3].rstrip(" |").endswith("*")  # significant
    assert "no baseline" in target_table(rows[3:])


def test_evaluate_sweep_scores_every_run_on_the_same_tasks(tmp_path):
    root = tmp_path / "sweep"
    for teacher, seed in [("random", 0), ("random", 1)]:
        run_curriculum(
            dict(
                env=ECHO, teacher=teacher, student="ppo", device="cpu", wandb_mode="disabled", seed=seed,
                student_params={"n_steps": 64, "batch_size": 64, "n_epochs": 1}, steps=256, n_envs=2,
                eval_every=256, eval_tasks=4, checkpoint_every=256, run_dir=str(root / teacher / f"seed{seed}"),
            ),
            log=None,
        )
    dist = {"mean": [0.45, 0.5], "std": [0.1, 0.2]}
    results, tasks = evaluate_sweep(root, dist, n_tasks=20, n_episodes=1, seed=0)
    assert [(r.teacher, r.seed) for r in results] == [("random", 0), ("random", 1)]
    assert np.array_equal(tasks, target_test_set(spaces.Box(0.0, 1.0, (2,)), dist, 20, seed=0))
    # TaskEcho succeeds exactly when task[0] < 0.5, whatever the policy.
    expected = 100.0 * np.mean([task_success(t) for t in tasks])
    assert 0 < expected < 100
    assert all(r.mastered_pct == pytest.approx(expected) and r.step >= 256 for r in results)
    write_target_report(results, tasks, tmp_path / "out" / "target")
    saved = json.loads((tmp_path / "out" / "target.json").read_text())
    assert len(saved["runs"]) == 2 and np.allclose(saved["tasks"], tasks)
    assert "| random | 2 |" in (tmp_path / "out" / "target.md").read_text()
