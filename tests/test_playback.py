"""Playing a run's trained policy (students.playback, scripts/play_policy.py)."""

from __future__ import annotations

import imageio.v2 as imageio
import pytest

from students.playback import play_policy
from students.run_dir import RunDirError
from students.train import run_curriculum
from tests.scripts import load_script


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("play") / "run"
    run_curriculum({
        "env": "teachrl/PointGate-v0", "teacher": "random", "steps": 256, "n_envs": 2, "normalize": True,
        "student_params": {"n_steps": 64, "batch_size": 64, "n_epochs": 1}, "eval_every": 0,
        "wandb_mode": "disabled", "run_dir": str(run),
    }, log=None)
    return run


def test_play_policy_runs_whole_episodes_on_the_task(run_dir):
    result = play_policy(run_dir, [0.0, 1.5], episodes=2, frame_every=10)
    assert len(result.returns) == len(result.successes) == 2 and result.step == 256
    assert result.frames and result.frames[0].ndim == 3 and result.frames[0].shape[2] == 3
    again = play_policy(run_dir, [0.0, 1.5], episodes=2)
    assert again.returns == result.returns and again.frames == []  # deterministic, no rendering


def test_play_policy_errors_name_the_problem(run_dir, tmp_path):
    with pytest.raises(ValueError, match="gate_width"):
        play_policy(run_dir, [0.0, 9.0])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.yaml").write_text((run_dir / "config.yaml").read_text())
    with pytest.raises(RunDirError, match="no checkpoint"):
        play_policy(tmp_path / "empty", [0.0, 1.5])


def test_play_policy_script_writes_a_gif(run_dir, tmp_path, capsys):
    gif = tmp_path / "policy.gif"
    assert load_script("play_policy").main([str(run_dir), "--task", "0", "1.5", "--gif", str(gif), "--frame-every", "10"]) == 0
    assert "episode 0 (seed 0): return" in capsys.readouterr().out
    assert len(imageio.mimread(gif)) > 1


def test_play_policy_on_a_wrapper_env_sets_the_task_on_the_wrapper(tmp_path):
    run = tmp_path / "acrobot"
    run_curriculum({
        "env": "teachrl/Acrobot-v0", "teacher": "random", "steps": 128, "n_envs": 2,
        "student_params": {"n_steps": 64, "batch_size": 64, "n_epochs": 1}, "eval_every": 0,
        "wandb_mode": "disabled", "run_dir": str(run),
    }, log=None)
    result = play_policy(run, [0.5, 0.5, 0.5, 0.5])
    assert len(result.returns) == 1 and result.returns[0] <= 0.0  # Acrobot pays -1 a step
    with pytest.raises(ValueError, match="link_mass_2"):
        play_policy(run, [0.5, 0.5, 0.5, 3.0])
