"""The env contract (envs/base.py) on every registered env, through :func:`envs.check_task_env`,
plus what the checker cannot know (ParameterizedEnv's dict tasks, SB3 integration)."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.env_util import make_vec_env

import envs

# (env id, make kwargs): every registered env, Stump Tracks with each body.
CASES = [(env_id, {}) for env_id in envs.ENV_IDS] + [
    ("teachrl/StumpTracks-v0", {"body": "short"}),
    ("teachrl/StumpTracks-v0", {"body": "quadruped"}),
]
IDS = [f"{e.split('/')[1]}{'-' + k['body'] if 'body' in k else ''}" for e, k in CASES]


def test_every_contract_id_is_registered():
    expected = {
        "teachrl/PointGate-v0", "teachrl/PointGate-Unfeasible-v0", "teachrl/PointGate-Trivial-v0",
        "teachrl/StumpTracks-v0", "teachrl/CartPole-v0", "teachrl/Pendulum-v0",
        "teachrl/MountainCarContinuous-v0", "teachrl/LunarLander-v0", "teachrl/Acrobot-v0",
        "teachrl/Parkour-v0", "teachrl/HexagonTracks-v0",
    }
    assert expected == set(envs.ENV_IDS)
    assert expected <= set(gym.registry)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_env_passes_check_task_env(env_id, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # gymnasium's advice (infinite obs bounds, ...)
        envs.check_task_env(gym.make(env_id, **kwargs))


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_bare_env_passes_check_task_env(env_id, kwargs):
    """The contract holds without gymnasium.make's wrappers too (the env's own class)."""
    def bare() -> envs.ParameterizedEnv:
        env = gym.make(env_id, **kwargs)
        return env if isinstance(env, envs.TaskWrapper) else env.unwrapped

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        envs.check_task_env(bare(), make_env=bare)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_passes_sb3_checker_at_the_corners(env_id, kwargs):
    env = gym.make(env_id, **kwargs)
    layer = env if isinstance(env, envs.TaskWrapper) else env.unwrapped
    assert isinstance(layer, envs.ParameterizedEnv)
    assert layer.task_space.contains(layer.default_task)
    for task in (layer.task_space.low, layer.task_space.high):
        layer.set_task(task)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            sb3_check_env(env, warn=False)


def test_out_of_bounds_task_message_names_parameter_and_bounds():
    env = gym.make("teachrl/CartPole-v0")
    with pytest.raises(ValueError, match=r"'force'=31\.0 is outside its bounds \[2, 30\]"):
        env.unwrapped.set_task([1.0, 0.1, 9.8, 31.0])
    with pytest.raises(ValueError, match=r"'gravity'=1\.0 is outside its bounds \[2, 20\]"):
        env.reset(options={"task": {"gravity": 1.0}})
    # A rejected task changes nothing.
    np.testing.assert_array_equal(env.unwrapped.pending_task, env.unwrapped.default_task)


def test_dict_task_keeps_defaults_for_missing_names():
    env = gym.make("teachrl/Pendulum-v0").unwrapped
    env.set_task({"gravity": 4.0})
    np.testing.assert_array_equal(env.pending_task, [1.0, 1.0, 4.0])


def test_malformed_tasks_raise_value_error():
    env = gym.make("teachrl/PointGate-v0").unwrapped
    with pytest.raises(ValueError, match="shape"):
        env.set_task([0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="gate_width"):
        env.set_task([0.0, np.nan])
    with pytest.raises(ValueError, match="unknown task parameter"):
        env.set_task({"gate_heigth": 1.0})
    with pytest.raises(ValueError, match="array-like"):
        env.set_task("wide")


def test_instance_parameters_are_per_instance():
    cart_a = gym.make("teachrl/CartPole-v0", task=[0.4, 0.1, 3.0, 5.0]).unwrapped
    cart_b = gym.make("teachrl/CartPole-v0", task=[3.0, 0.9, 19.0, 25.0]).unwrapped
    assert (cart_a.length, cart_a.gravity, cart_a.force_mag) == (0.2, 3.0, 5.0)
    assert (cart_b.length, cart_b.gravity, cart_b.force_mag) == (1.5, 19.0, 25.0)
    assert cart_a.polemass_length == pytest.approx(0.1 * 0.2)
    lander_a = gym.make("teachrl/LunarLander-v0", task=[-2.0, 0.0, 0.0]).unwrapped
    lander_b = gym.make("teachrl/LunarLander-v0", task=[-11.0, 15.0, 1.5]).unwrapped
    lander_a.reset(seed=0)
    lander_b.reset(seed=0)
    assert tuple(lander_a.world.gravity) == pytest.approx((0.0, -2.0))
    assert tuple(lander_b.world.gravity) == pytest.approx((0.0, -11.0))
    assert (lander_a.wind_power, lander_b.wind_power) == (0.0, 15.0)


def test_set_task_through_sb3_vec_env_and_gymnasium_wrappers():
    venv = make_vec_env("teachrl/PointGate-v0", n_envs=2, seed=0)
    venv.env_method("set_task", [1.5, 0.4], indices=[1])
    venv.reset()
    assert [info["task"].tolist() for info in venv.reset_infos] == [[0.0, 1.0], [1.5, 0.4]]
    _, _, _, infos = venv.step(np.zeros((2, 2), dtype=np.float32))
    assert infos[1]["task"].tolist() == [1.5, 0.4] and infos[0]["task"].tolist() == [0.0, 1.0]
    tasks = venv.get_attr("pending_task")
    assert [t.tolist() for t in tasks] == [[0.0, 1.0], [1.5, 0.4]]
    venv.close()


def test_task_kwarg_sets_the_first_task():
    env = gym.make("teachrl/MountainCarContinuous-v0", task={"power": 0.002})
    _, info = env.reset(seed=0)
    np.testing.assert_array_equal(info["task"], [0.002, 0.45])
    assert env.unwrapped.power == 0.002
