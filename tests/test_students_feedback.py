"""The curriculum loop gives teachers the feedback they require: success, steps, V(s0)
through VecNormalize, a value function over tasks; students that cannot are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from students.config import RunConfig
from students.curriculum import CurriculumVecEnv
from students.testing import FeedbackTeacher, task_success
from students.train import EnvFactory, run_curriculum
from students.values import PolicyValue, check_student_provides
from teachers import SPDLTeacher

ECHO = "students.testing:teachrl_test/TaskEcho-v0"
SPACE = spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float32)

torch.set_num_threads(1)


def _venv(n=2):
    venv = DummyVecEnv([EnvFactory(ECHO) for _ in range(n)])
    venv.seed(0)
    return venv


class _RecordingValue:
    """Wraps the loop's value estimator; keeps every batch of raw observations it saw."""

    def __init__(self, inner):
        self.inner, self.batches = inner, []

    def __call__(self, obs):
        self.batches.append(np.array(obs, copy=True))
        return self.inner(obs)


class _CheckNormalizedObs(BaseCallback):
    """At each step: the observation the policy sees for an env that just started an
    episode is VecNormalize's normalization of the raw first observation the loop kept."""

    def __init__(self, curriculum, norm):
        super().__init__()
        self.curriculum, self.norm, self.checked = curriculum, norm, 0

    def _on_step(self) -> bool:
        for i in np.flatnonzero(self.locals["dones"]):
            raw = self.curriculum._first_obs[i]
            np.testing.assert_allclose(self.norm.normalize_obs(raw[None])[0], self.locals["new_obs"][i], rtol=1e-5)
            self.checked += 1
        return True


def test_ppo_run_gives_success_steps_and_value_through_vecnormalize():
    teacher = FeedbackTeacher(SPACE, seed=0)
    curriculum = CurriculumVecEnv(_venv(), teacher)
    env = VecNormalize(curriculum, gamma=0.9)
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=32, n_epochs=1, gamma=0.9, seed=0, device="cpu")
    curriculum.attach_student(model, env_fn=EnvFactory(ECHO, monitor=False), seed=7)
    recorder = _RecordingValue(curriculum.value_estimator)
    curriculum.value_estimator = recorder
    callback = _CheckNormalizedObs(curriculum, env)
    model.learn(256, callback=callback)
    records = curriculum.pop_records()
    assert len(records) == len(teacher.feedback) >= 20 and callback.checked >= 20
    obs_rows = np.concatenate(recorder.batches)
    assert len(obs_rows) == len(records)
    for (task, _), (success, value, steps), rec, obs in zip(teacher.updates, teacher.feedback, records, obs_rows,
                                                            strict=True):
        assert success == task_success(task) == rec["success"]
        assert steps == rec["length"]
        # V(s0) was evaluated on the episode's own first observation: (task, t = 0)
        np.testing.assert_allclose(obs, [*task, 0.0], rtol=1e-6)
        assert np.isfinite(value)
    # the values are the critic's, through VecNormalize's statistics, in raw reward units
    batch = obs_rows[-3:]
    with torch.no_grad():
        tensor, _ = model.policy.obs_to_tensor(env.normalize_obs(batch))
        expected = model.policy.predict_values(tensor).numpy().reshape(-1) * np.sqrt(env.ret_rms.var + env.epsilon)
    np.testing.assert_allclose(PolicyValue(model)(batch), expected, rtol=1e-5)
    # the value function over tasks: a scratch env's first observation of each task
    assert len(teacher.task_value_calls) == len(teacher.samples)  # called at every sample
    tasks = np.array(teacher.task_value_calls[-1][0])
    firsts = np.array([[*t, 0.0] for t in tasks], dtype=np.float32)
    np.testing.assert_allclose(curriculum.task_value_fn.first_observations(tasks), firsts, rtol=1e-6)
    np.testing.assert_allclose(teacher.task_values(tasks), PolicyValue(model)(firsts), rtol=1e-5)
    curriculum.close()


def test_value_not_scaled_without_reward_normalization():
    teacher = FeedbackTeacher(SPACE, seed=0)
    curriculum = CurriculumVecEnv(_venv(), teacher)
    model = PPO("MlpPolicy", curriculum, n_steps=16, batch_size=16, n_epochs=1, seed=0, device="cpu")
    value = PolicyValue(model)
    obs = np.array([[0.2, 0.3, 0.0]], dtype=np.float32)
    with torch.no_grad():
        expected = model.policy.predict_values(model.policy.obs_to_tensor(obs)[0]).numpy().reshape(-1)
    np.testing.assert_allclose(value(obs), expected)
    curriculum.close()


def test_a_teacher_requiring_value_without_attached_student_fails_clearly():
    curriculum = CurriculumVecEnv(_venv(), SPDLTeacher(SPACE, seed=0))
    curriculum.reset()
    with pytest.raises(RuntimeError, match="attach_student"):
        for _ in range(20):
            curriculum.step(np.zeros((2, 1), dtype=np.float32))
    curriculum.close()


def test_requires_value_fn_needs_an_env_fn():
    curriculum = CurriculumVecEnv(_venv(), FeedbackTeacher(SPACE, seed=0))
    model = PPO("MlpPolicy", curriculum, n_steps=16, batch_size=16, n_epochs=1, seed=0, device="cpu")
    with pytest.raises(ValueError, match="env_fn"):
        curriculum.attach_student(model)
    curriculum.close()


def test_off_policy_student_is_refused_for_a_value_teacher():
    curriculum = CurriculumVecEnv(_venv(), SPDLTeacher(SPACE, seed=0))
    model = SAC("MlpPolicy", curriculum, learning_starts=10, buffer_size=100, seed=0, device="cpu")
    with pytest.raises(ValueError, match=r"on-policy student \(ppo, a2c\).*currot"):
        curriculum.attach_student(model)
    curriculum.close()
    with pytest.raises(ValueError, match="SPDLTeacher requires 'value'.*'td3'"):
        check_student_provides(SPDLTeacher, __import__("stable_baselines3").TD3, "td3")
    check_student_provides(SPDLTeacher, PPO)  # fine
    check_student_provides(FeedbackTeacher, PPO)


def test_run_config_refuses_sac_with_spdl_before_anything_is_written(tmp_path):
    config = RunConfig(env=ECHO, teacher="spdl", student="sac", run_dir=str(tmp_path / "run"))
    with pytest.raises(ValueError, match="on-policy"):
        config.validate()
    with pytest.raises(ValueError, match="on-policy"):
        run_curriculum(config, log=None)
    assert not (tmp_path / "run").exists()


def test_run_curriculum_with_spdl_and_ppo(tmp_path):
    params = {"update_frequency": 200, "update_offset": 200, "perf_lb": 0.0, "max_kl": 0.5}
    config = RunConfig(
        env=ECHO, teacher="spdl", teacher_params=params, student="ppo", steps=1024, n_envs=2, normalize=True,
        student_params={"n_steps": 64, "batch_size": 64, "n_epochs": 1}, eval_every=0, seed=0,
        run_dir=str(tmp_path / "run"), wandb_mode="disabled", progress_bar=False,
    )
    result = run_curriculum(config, log=None)
    assert result.episodes > 100
    assert result.teacher.n_distribution_updates >= 1
