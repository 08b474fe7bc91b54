"""CurriculumVecEnv: exact task attribution on vector envs, extra resets, signals."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3 import A2C, DQN, PPO, SAC, TD3
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.vec_env import DummyVecEnv

from students.curriculum import AdvantageCallback, CurriculumVecEnv
from students.testing import RecordingTeacher, task_code, task_success
from students.train import EnvFactory, make_subproc_vec_env
from teachers.random import RandomTeacher

ECHO = "students.testing:teachrl_test/TaskEcho-v0"
SPACE = spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float32)

torch.set_num_threads(1)


def make_venv(kind: str, n: int = 4, **env_kwargs):
    fns = [EnvFactory(ECHO, env_kwargs) for _ in range(n)]
    venv = DummyVecEnv(fns) if kind == "dummy" else make_subproc_vec_env(fns, "forkserver")
    venv.seed(0)
    return venv


def make_model(algo: str, env):
    if algo == "ppo":
        return PPO("MlpPolicy", env, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    if algo == "a2c":
        return A2C("MlpPolicy", env, n_steps=8, seed=0, device="cpu")
    if algo == "sac":
        return SAC("MlpPolicy", env, learning_starts=200, batch_size=32, buffer_size=5000,
                   policy_kwargs={"net_arch": [32]}, seed=0, device="cpu")
    if algo == "td3":
        return TD3("MlpPolicy", env, learning_starts=200, batch_size=32, buffer_size=5000,
                   policy_kwargs={"net_arch": [32]}, seed=0, device="cpu")
    if algo == "dqn":
        return DQN("MlpPolicy", env, learning_starts=200, batch_size=32, buffer_size=5000,
                   seed=0, device="cpu")
    raise AssertionError(algo)


def assert_exact(teacher: RecordingTeacher, records: list[dict], n_envs: int) -> None:
    """Every teacher update is the (task, return) of an episode that really ran that task."""
    assert len(records) == len(teacher.updates) >= 30
    assert [r["episode"] for r in records] == list(range(len(records)))
    assert {r["env"] for r in records} == set(range(n_envs))
    for (task, score), rec in zip(teacher.updates, records, strict=True):
        # the env's return encodes the task it ran; the teacher's task comes from bookkeeping
        assert score == pytest.approx(task_code(task), rel=1e-6), (task, score, rec)
        assert np.allclose(task, rec["task"]) and score == rec["score"] == rec["return"]
        assert rec["success"] == task_success(task)
    used = Counter(tuple(t) for t, _ in teacher.updates)
    sampled = {tuple(t) for t in teacher.samples}
    assert max(used.values()) == 1 and set(used) <= sampled
    for i in range(n_envs):  # per env, episodes are reported in the order they ended
        steps = [r["step"] for r in records if r["env"] == i]
        assert steps == sorted(steps) and len(set(steps)) == len(steps)


@pytest.mark.parametrize("algo", ["ppo", "sac"])
@pytest.mark.parametrize("kind", ["dummy", "subproc"])
def test_exact_attribution_every_env(kind, algo):
    venv = make_venv(kind)
    teacher = RecordingTeacher(SPACE, seed=1)
    # check_tasks=False: the bookkeeping alone must get attribution right
    cv = CurriculumVecEnv(venv, teacher, check_tasks=False)
    try:
        make_model(algo, cv).learn(1200 if algo == "ppo" else 800)
        assert_exact(teacher, cv.pop_records(), n_envs=4)
    finally:
        venv.close()


@pytest.mark.parametrize("lengths", [(1, 1), (1, 4)])
def test_subproc_set_task_rides_with_the_next_step(lengths):
    """SubprocVecEnv: set_task is sent with the next step, its reply read before the step's.

    One-step episodes end on the very step after their task was set, so a task applied late
    would be caught by the attribution check; between steps nothing is outstanding, so direct
    calls on the vector env get their own replies.
    """
    n = 3
    venv = make_venv("subproc", n, min_length=lengths[0], max_length=lengths[1])
    teacher = RecordingTeacher(SPACE, seed=7)
    cv = CurriculumVecEnv(venv, teacher)  # check_tasks=True: env-side cross-check too
    try:
        model = make_model("ppo", cv)
        model.learn(256)
        assert venv.get_attr("max_length") == [lengths[1]] * n  # no stale set_task reply read
        finished = [len(e) for e in venv.env_method("get_episode_rewards")]
        assert sum(finished) == len(cv.pop_records()) > 100
        model.learn(256)  # reset(): the tasks sampled at the last step must reach the envs first
        model.learn(256, reset_num_timesteps=False)
        teacher.updates.clear()
        cv.pop_records()
        model.learn(256, reset_num_timesteps=False)
        records = cv.pop_records()
        assert len(records) == len(teacher.updates) > 100
        for (task, score), rec in zip(teacher.updates, records, strict=True):
            assert score == pytest.approx(task_code(task), rel=1e-6) and np.allclose(task, rec["task"])
    finally:
        venv.close()


@pytest.mark.parametrize("algo", ["a2c", "td3", "dqn"])
def test_exact_attribution_other_algorithms(algo):
    venv = make_venv("dummy", discrete_actions=algo == "dqn")
    teacher = RecordingTeacher(SPACE, seed=2)
    cv = CurriculumVecEnv(venv, teacher)
    make_model(algo, cv).learn(800)
    assert_exact(teacher, cv.pop_records(), n_envs=4)


def test_contract_violation_is_detected():
    venv = make_venv("dummy", apply_task_immediately=True)
    cv = CurriculumVecEnv(venv, RecordingTeacher(SPACE, seed=0))
    with pytest.raises(RuntimeError, match="task attribution error"):
        PPO("MlpPolicy", cv, n_steps=64, batch_size=64, n_epochs=1, device="cpu").learn(256)


def test_two_learn_calls_and_extra_reset_lose_no_task():
    n = 4
    teacher = RecordingTeacher(SPACE, seed=3)
    cv = CurriculumVecEnv(make_venv("dummy", n), teacher)
    model = make_model("ppo", cv)
    model.learn(512)
    pending_before = list(cv.pending)
    model.learn(512)  # reset_num_timesteps=True: an extra reset() of the running envs
    model.learn(512, reset_num_timesteps=False)  # continues without reset
    assert model.num_timesteps == 1024
    records = cv.pop_records()
    assert_exact(teacher, records, n_envs=n)
    # the pending tasks at the extra reset ran (no sampled task wasted) ...
    first_after = {}
    for (task, _), rec in zip(teacher.updates, records, strict=True):
        if rec["step"] > 512 and rec["env"] not in first_after:
            first_after[rec["env"]] = task
    for i in range(n):
        assert np.allclose(first_after[i], pending_before[i])
    # ... and every sample is accounted for: updates, n abandoned, n running, n pending
    assert teacher.n_samples == len(teacher.updates) + 3 * n


def test_step_updates_reach_the_teacher():
    class StepTeacher(RandomTeacher):
        requires_step_updates = True

        def __init__(self, task_space, seed=None, reward_range=None):
            super().__init__(task_space, seed=seed, reward_range=reward_range)
            self.steps, self.dones = 0, 0

        def step_update(self, task, obs, action, reward, done):
            assert SPACE.contains(np.asarray(task, dtype=np.float32)) and obs.shape == (3,)
            self.steps += 1
            self.dones += int(done)

    teacher = StepTeacher(SPACE, seed=0)
    cv = CurriculumVecEnv(make_venv("dummy"), teacher)
    make_model("ppo", cv).learn(256)
    assert teacher.steps == 256 and teacher.dones == teacher.n_updates > 0


def test_task_map_and_teacher_task_in_history():
    class ArmTeacher(RandomTeacher):
        def __init__(self, task_space, seed=None, reward_range=None):
            super().__init__(task_space, seed=seed, reward_range=reward_range)
            self.updates = []

        def _update(self, task, score):
            self.updates.append((int(task), score))

    def arm_to_task(arm):
        return np.array([arm / 4.0, 0.5])

    teacher = ArmTeacher(spaces.Discrete(5), seed=0)
    cv = CurriculumVecEnv(make_venv("dummy"), teacher, task_map=arm_to_task)
    make_model("ppo", cv).learn(512)
    records = cv.pop_records()
    assert len(records) == len(teacher.updates) > 20
    for (arm, score), rec in zip(teacher.updates, records, strict=True):
        assert rec["teacher_task"] == arm
        assert np.allclose(rec["task"], arm_to_task(arm))
        assert score == pytest.approx(task_code(arm_to_task(arm)), rel=1e-6)


@pytest.mark.parametrize("score", ["advantage", "positive_advantage"])
@pytest.mark.parametrize("norm", ["none", "batch"])
@pytest.mark.parametrize("algo", ["ppo", "a2c"])
def test_advantage_score_delivered_once_per_episode(algo, norm, score):
    """Scores equal the mean |GAE| (or max(GAE, 0)) over each episode's rows, across rollout
    boundaries. With ``advantage_norm="batch"`` every rollout's rows are divided by that
    rollout's std.
    """
    n = 4
    teacher = RecordingTeacher(SPACE, seed=4)
    cv = CurriculumVecEnv(make_venv("dummy", n), teacher, score=score, advantage_norm=norm)

    class KeepAdvantages(BaseCallback):
        rows: list = []

        def _on_step(self):
            return True

        def _on_rollout_end(self):
            self.rows.append(self.model.rollout_buffer.advantages.copy())

    keep = KeepAdvantages()
    # n_steps=8 < max episode length 12: many episodes span rollouts
    model = A2C("MlpPolicy", cv, n_steps=8, seed=0, device="cpu") if algo == "a2c" else PPO(
        "MlpPolicy", cv, n_steps=16, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(800, callback=CallbackList([AdvantageCallback(), keep]))
    records = cv.pop_records()
    assert len(records) == len(teacher.updates) > 30
    assert [r["episode"] for r in records] == list(range(len(records)))
    finished = [len(e) for e in cv.venv.env_method("get_episode_rewards")]  # Monitor counts
    transform = np.abs if score == "advantage" else (lambda a: np.maximum(a, 0.0))
    blocks = [transform(b.astype(np.float64)) / (b.astype(np.float64).std() if norm == "batch" else 1.0) for b in keep.rows]
    adv = np.concatenate(blocks, axis=0)  # (T, n_envs), rows in time order
    assert norm == "none" or not np.allclose(adv, transform(np.concatenate(keep.rows, axis=0)))
    assert score == "advantage" or (0 < (adv == 0).mean() < 1)  # some steps clipped, not all
    for i in range(n):
        mine = [r for r in records if r["env"] == i]
        assert len(mine) == finished[i]  # every finished episode delivered, once
        start = 0
        for rec in mine:  # independent split: by episode lengths
            expected = adv[start : start + rec["length"], i].mean()
            assert rec["score"] == pytest.approx(expected, rel=1e-7)
            start += rec["length"]
    for (task, score), rec in zip(teacher.updates, records, strict=True):
        assert score == rec["score"] and np.allclose(task, rec["task"])
        assert rec["return"] == pytest.approx(task_code(task), rel=1e-6)
    assert cv.awaiting_advantage == 0


def test_advantage_callback_rejects_off_policy():
    cv = CurriculumVecEnv(make_venv("dummy"), RecordingTeacher(SPACE, seed=0), score="advantage")
    with pytest.raises(ValueError, match="on-policy"):
        make_model("sac", cv).learn(300, callback=AdvantageCallback())


def test_bad_arguments():
    venv = make_venv("dummy", 1)
    with pytest.raises(ValueError, match="'value'"):
        CurriculumVecEnv(venv, RecordingTeacher(SPACE), score="value")
    with pytest.raises(ValueError, match="task_map"):
        CurriculumVecEnv(venv, RecordingTeacher(SPACE), task_map=3)
    with pytest.raises(ValueError, match="'rank'"):
        CurriculumVecEnv(venv, RecordingTeacher(SPACE), score="advantage", advantage_norm="rank")


@pytest.mark.slow
@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_exact_attribution_subproc_start_methods(start_method):
    fns = [EnvFactory(ECHO) for _ in range(3)]
    venv = make_subproc_vec_env(fns, start_method)
    venv.seed(0)
    teacher = RecordingTeacher(SPACE, seed=5)
    cv = CurriculumVecEnv(venv, teacher)
    try:
        model = make_model("ppo", cv)
        model.learn(1000)
        model.learn(1000)
        assert_exact(teacher, cv.pop_records(), n_envs=3)
    finally:
        venv.close()


def test_success_score():
    teacher = RecordingTeacher(SPACE, seed=6)
    cv = CurriculumVecEnv(make_venv("dummy"), teacher, score="success")
    make_model("ppo", cv).learn(512)
    records = cv.pop_records()
    assert len(records) == len(teacher.updates) > 30
    for (task, score), rec in zip(teacher.updates, records, strict=True):
        assert score == rec["score"] == float(task_success(task)) == float(rec["success"])
        assert rec["return"] == pytest.approx(task_code(task), rel=1e-6)
    assert {s for _, s in teacher.updates} == {0.0, 1.0}
