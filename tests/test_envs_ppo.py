"""Slow: PPO learns PointGate's easy tasks (the env is learnable where it should be)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the envs)
from envs.point_gate import PointGateEnv


@pytest.mark.slow
def test_ppo_learns_an_easy_point_gate_task():
    torch = pytest.importorskip("torch")
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    easy = PointGateEnv.level_task(1)  # gate at 0.5, width 1.0
    venv = make_vec_env("teachrl/PointGate-v0", n_envs=4, seed=0)
    venv.env_method("set_task", easy)
    model = PPO("MlpPolicy", venv, seed=0, n_steps=256, batch_size=256, verbose=0)
    model.learn(60_000)
    env = gym.make("teachrl/PointGate-v0")
    successes = []
    for i in range(20):
        obs, _ = env.reset(seed=100 + i, options={"task": easy})
        while True:
            action, _ = model.predict(obs, deterministic=True)
            obs, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
        successes.append(info["success"])
    assert np.mean(successes) >= 0.9
