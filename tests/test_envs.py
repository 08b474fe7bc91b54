"""The env contract (envs/base.py) on every registered env."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.env_util import make_vec_env

import envs

# (env id, make kwargs): every registered env, Stump Tracks with each body.
CASES = [
    ("teachrl/PointGate-v0", {}),
    ("teachrl/PointGate-Unfeasible-v0", {}),
    ("teachrl/PointGate-Trivial-v0", {}),
    ("teachrl/StumpTracks-v0", {"body": "default"}),
    ("teachrl/StumpTracks-v0", {"body": "short"}),
    ("teachrl/StumpTracks-v0", {"body": "quadruped"}),
    ("teachrl/CartPole-v0", {}),
    ("teachrl/Pendulum-v0", {}),
    ("teachrl/MountainCarContinuous-v0", {}),
    ("teachrl/LunarLander-v0", {}),
]
IDS = [f"{e.split('/')[1]}{'-' + k['body'] if 'body' in k else ''}" for e, k in CASES]


def make(env_id: str, kwargs: dict, **extra) -> gym.Env:
    return gym.make(env_id, **kwargs, **extra)


def tasks_of(env: envs.ParameterizedEnv) -> list[np.ndarray]:
    """Low corner, high corner and an interior point of the task space."""
    low, high = env.task_space.low, env.task_space.high
    return [low.copy(), high.copy(), low + 0.3 * (high - low)]


def rollout(env: gym.Env, seed: int, n: int = 40, task=None) -> tuple[np.ndarray, np.ndarray]:
    """Observations and rewards of ``n`` steps with a fixed action sequence (resets on done)."""
    options = None if task is None else {"task": task}
    obs, _ = env.reset(seed=seed, options=options)
    env.action_space.seed(123)
    observations, rewards = [obs], []
    for _ in range(n):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        observations.append(obs)
        rewards.append(reward)
        if terminated or truncated:
            obs, _ = env.reset()
            observations.append(obs)
    return np.array(observations), np.array(rewards)


def test_every_contract_id_is_registered():
    expected = {
        "teachrl/PointGate-v0", "teachrl/PointGate-Unfeasible-v0", "teachrl/PointGate-Trivial-v0",
        "teachrl/StumpTracks-v0", "teachrl/CartPole-v0", "teachrl/Pendulum-v0",
        "teachrl/MountainCarContinuous-v0", "teachrl/LunarLander-v0",
    }
    assert expected == set(envs.ENV_IDS)
    assert expected <= set(gym.registry)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_contract_attributes(env_id, kwargs):
    env = make(env_id, kwargs).unwrapped
    assert isinstance(env, envs.ParameterizedEnv)
    space = env.task_space
    assert isinstance(space, gym.spaces.Box) and len(space.shape) == 1
    assert np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))
    assert len(env.task_names) == space.shape[0] == env.default_task.shape[0]
    assert space.contains(env.default_task)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_passes_gymnasium_and_sb3_checkers_at_several_tasks(env_id, kwargs):
    env = make(env_id, kwargs).unwrapped
    for task in tasks_of(env):
        env.set_task(task)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. Pendulum's non-unit action box
            gym_check_env(env, skip_render_check=True)
            sb3_check_env(env, warn=False)
        _, info = env.reset(seed=0)
        np.testing.assert_array_equal(info["task"], task)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_info_has_task_and_success_on_every_step(env_id, kwargs):
    env = make(env_id, kwargs)
    task = tasks_of(env.unwrapped)[2]
    _, info = env.reset(seed=0, options={"task": task})
    assert info["task"].dtype == np.float64
    np.testing.assert_array_equal(info["task"], task)
    for _ in range(5):
        *_, info = env.step(env.action_space.sample())
        np.testing.assert_array_equal(info["task"], task)
        assert isinstance(info["success"], bool)
    info["task"][0] = 1e9  # a copy: mutating it leaves the env alone
    np.testing.assert_array_equal(env.unwrapped.task, task)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_same_seed_and_task_give_same_trajectory(env_id, kwargs):
    env_a, env_b = make(env_id, kwargs), make(env_id, kwargs)
    task = tasks_of(env_a.unwrapped)[2]
    obs_a, rew_a = rollout(env_a, seed=7, task=task)
    rollout(env_b, seed=99, task=env_b.unwrapped.task_space.high)  # a different history first
    obs_b, rew_b = rollout(env_b, seed=7, task=task)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(rew_a, rew_b)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_set_task_takes_effect_at_next_reset_and_persists(env_id, kwargs):
    env = make(env_id, kwargs)
    low, high, _ = tasks_of(env.unwrapped)
    env.reset(seed=0, options={"task": low})
    env.unwrapped.set_task(high)
    *_, info = env.step(env.action_space.sample())
    np.testing.assert_array_equal(info["task"], low)  # not before the reset
    np.testing.assert_array_equal(env.unwrapped.task, low)
    for _ in range(2):  # at the next reset, and the ones after
        _, info = env.reset()
        np.testing.assert_array_equal(info["task"], high)
        *_, info = env.step(env.action_space.sample())
        np.testing.assert_array_equal(info["task"], high)


def test_options_task_overrides_pending_and_becomes_pending():
    env = gym.make("teachrl/CartPole-v0")
    env.unwrapped.set_task([2.0, 0.5, 5.0, 20.0])
    _, info = env.reset(seed=0, options={"task": [0.5, 0.1, 9.8, 10.0]})
    np.testing.assert_array_equal(info["task"], [0.5, 0.1, 9.8, 10.0])
    _, info = env.reset()
    np.testing.assert_array_equal(info["task"], [0.5, 0.1, 9.8, 10.0])


def test_dict_task_keeps_defaults_for_missing_names():
    env = gym.make("teachrl/Pendulum-v0").unwrapped
    env.set_task({"gravity": 4.0})
    np.testing.assert_array_equal(env.pending_task, [1.0, 1.0, 4.0])


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_out_of_bounds_task_raises_naming_parameter_and_bounds(env_id, kwargs):
    env = make(env_id, kwargs)
    unwrapped = env.unwrapped
    name, low, high = unwrapped.task_names[-1], unwrapped.task_space.low[-1], unwrapped.task_space.high[-1]
    bad = unwrapped.default_task.copy()
    bad[-1] = high + 1.0
    with pytest.raises(ValueError, match=name) as err:
        unwrapped.set_task(bad)
    assert f"{low:g}" in str(err.value) and f"{high:g}" in str(err.value)
    with pytest.raises(ValueError, match=name):
        env.reset(options={"task": {name: low - 1.0}})
    # A rejected task changes nothing.
    np.testing.assert_array_equal(unwrapped.pending_task, unwrapped.default_task)


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


def test_two_instances_do_not_influence_each_other():
    """Interleaved envs with different tasks behave exactly as each does alone."""
    for env_id in ("teachrl/CartPole-v0", "teachrl/LunarLander-v0", "teachrl/PointGate-v0",
                   "teachrl/StumpTracks-v0"):
        probe = gym.make(env_id).unwrapped
        low, high = probe.task_space.low, probe.task_space.high
        task_a, task_b = low + 0.2 * (high - low), low + 0.9 * (high - low)
        alone, _ = rollout(gym.make(env_id), seed=3, n=30, task=task_a)

        env_a, env_b = gym.make(env_id), gym.make(env_id)
        obs, _ = env_a.reset(seed=3, options={"task": task_a})
        env_b.reset(seed=4, options={"task": task_b})
        env_a.action_space.seed(123)
        env_b.action_space.seed(5)
        observed = [obs]
        for _ in range(30):
            env_b.unwrapped.set_task(low)  # pending changes on B must not reach A
            obs, _, terminated, truncated, _ = env_a.step(env_a.action_space.sample())
            observed.append(obs)
            if terminated or truncated:
                obs, _ = env_a.reset()
                observed.append(obs)
            if any(env_b.step(env_b.action_space.sample())[2:4]):
                env_b.reset()
        np.testing.assert_array_equal(np.array(observed), alone, err_msg=env_id)


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
