"""Expert knowledge (TeachMyAgent's none/low/high): env declarations, the teacher parameters
each level fills in, and a run that applies them."""

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401 (registers the envs)
import teachers
from students.config import RunConfig
from students.expert import expert_teacher_params
from students.train import run_curriculum
from teachers.base import check_dist_spec

DECLARED = {"reward_range": (-150.0, 350.0), "initial_dist": {"mean": [0.0, 6.0], "std": [0.3, 0.6]},
            "target_dist": {"mean": [1.5, 3.0], "std": [0.75, 1.5]}}


@pytest.mark.parametrize("env_id", ["teachrl/StumpTracks-v0", "teachrl/PointGate-v0",
                                    "teachrl/PointGate-Unfeasible-v0", "teachrl/PointGate-Trivial-v0"])
def test_envs_declare_valid_knowledge(env_id):
    env = gym.make(env_id)
    knowledge, space = env.unwrapped.expert_knowledge, env.unwrapped.task_space
    lo, hi = knowledge["reward_range"]
    assert lo < hi
    dist = knowledge["initial_dist"]
    assert check_dist_spec(dist) and space.contains(np.asarray(dist["mean"], dtype=space.dtype))
    np.testing.assert_allclose(dist["std"], 0.1 * (space.high - space.low))  # TeachMyAgent's 10% rule
    # the teachers accept it as it is
    teachers.make("spdl", space, seed=0, initial_dist=dist)
    teachers.make("alp-gmm", space, seed=0, initial_dist=dist, reward_range=knowledge["reward_range"])
    env.close()


def test_stump_tracks_knowledge_is_teachmyagents():
    knowledge = gym.make("teachrl/StumpTracks-v0").unwrapped.expert_knowledge
    assert knowledge["reward_range"] == (-150.0, 350.0)
    assert knowledge["initial_dist"] == {"mean": [0.0, 6.0], "std": [0.3, 0.6]}


def test_levels_fill_what_each_teacher_uses():
    alp = teachers.get_class("alp-gmm")
    assert expert_teacher_params(alp, DECLARED, "none") == {}
    assert expert_teacher_params(alp, DECLARED, "low") == {"reward_range": [-150.0, 350.0]}
    assert expert_teacher_params(alp, DECLARED, "high") == {
        "reward_range": [-150.0, 350.0], "initial_dist": {"mean": [0.0, 6.0], "std": [0.3, 0.6]}}
    # ADR: its start point, and no reward range (its thresholds are raw returns)
    assert expert_teacher_params(teachers.get_class("adr"), DECLARED, "low") == {}
    assert expert_teacher_params(teachers.get_class("adr"), DECLARED, "high") == {"initial_task": [0.0, 6.0]}
    spdl = expert_teacher_params(teachers.get_class("spdl"), DECLARED, "high")
    assert spdl["initial_dist"] == DECLARED["initial_dist"] and spdl["target_dist"] == DECLARED["target_dist"]
    assert expert_teacher_params(teachers.get_class("random"), DECLARED, "high") == {"reward_range": [-150.0, 350.0]}
    # discrete levels / a task map: distributions in env units do not apply
    assert "initial_dist" not in expert_teacher_params(alp, DECLARED, "high", box_tasks=False)
    assert expert_teacher_params(alp, None, "high") == {}
    with pytest.raises(ValueError, match="bogus"):
        expert_teacher_params(alp, DECLARED, "bogus")


def test_run_config_level_is_validated():
    with pytest.raises(ValueError, match="expert_knowledge"):
        RunConfig(env="teachrl/PointGate-v0", expert_knowledge="maximal").validate()
    assert RunConfig().expert_knowledge == "none"


@pytest.mark.parametrize(
    ("teacher", "params", "level", "expected"),
    [
        ("alp-gmm", {}, "high", {"reward_range": (0.0, 26.0), "initial_dist": {"mean": [0.0, 1.5], "std": [0.4, 0.15]}}),
        ("alp-gmm", {"reward_range": [0.0, 10.0]}, "high", {"reward_range": (0.0, 10.0)}),  # explicit wins
        ("adr", {"max_reward_thr": 20.0, "min_reward_thr": 0.0}, "high", {"initial_task": [0.0, 1.5], "reward_range": None}),
        ("spdl", {}, "low", {"reward_range": (0.0, 26.0), "initial_dist": None}),
        ("alp-gmm", {}, "none", {"reward_range": None, "initial_dist": None}),
    ],
)
def test_run_applies_the_level(tmp_path, teacher, params, level, expected):
    config = RunConfig(
        env="teachrl/PointGate-v0", teacher=teacher, teacher_params=params, expert_knowledge=level,
        student="ppo", steps=64, n_envs=1, student_params={"n_steps": 64, "batch_size": 64, "n_epochs": 1},
        eval_every=0, run_dir=str(tmp_path / "run"), wandb_mode="disabled", progress_bar=False,
    )
    got = run_curriculum(config, log=None).teacher.get_params()
    for name, value in expected.items():
        assert got[name] == value, name
