"""envs.TaskWrapper / register_task_env: any gymnasium env as an env of the contract."""

from __future__ import annotations

import json
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.classic_control.acrobot import AcrobotEnv

import envs
from envs import TaskParameter, TaskWrapper

ACROBOT_CLASS_VALUES = {
    name: getattr(AcrobotEnv, name)
    for name in ("LINK_LENGTH_1", "LINK_LENGTH_2", "LINK_MASS_1", "LINK_MASS_2", "LINK_COM_POS_1", "LINK_COM_POS_2")
}


def gravity_cartpole(**kwargs) -> TaskWrapper:
    """CartPole-v1 with its (instance) attribute ``gravity`` as the task."""
    return TaskWrapper("CartPole-v1", [TaskParameter("gravity", 2.0, 20.0, "gravity")], **kwargs)


def acrobot_rollout(env: gym.Env, task, n: int = 60) -> np.ndarray:
    obs, _ = env.reset(seed=1, options={"task": task})
    observations = [obs]
    for i in range(n):
        obs, *_ = env.step(i % 3)  # a fixed action sequence
        observations.append(obs)
    return np.array(observations)


def test_acrobot_is_registered_and_passes_the_checker():
    assert "teachrl/Acrobot-v0" in envs.ENV_IDS
    env = gym.make("teachrl/Acrobot-v0")
    assert env.get_wrapper_attr("task_names") == (
        "link_length_1", "link_length_2", "link_mass_1", "link_mass_2",
    )
    space = env.get_wrapper_attr("task_space")
    np.testing.assert_array_equal(space.low, [0.5] * 4)
    np.testing.assert_array_equal(space.high, [1.5] * 4)
    _, info = env.reset(seed=0)
    np.testing.assert_array_equal(info["task"], [1.0, 1.0, 1.0, 1.0])  # gymnasium's values
    envs.check_task_env(env)


def test_acrobot_instances_have_their_own_physics_and_leave_the_class_alone():
    short, long = gym.make("teachrl/Acrobot-v0"), gym.make("teachrl/Acrobot-v0")
    alone = acrobot_rollout(gym.make("teachrl/Acrobot-v0"), [0.5, 1.0, 1.0, 1.0])
    obs_short = acrobot_rollout(short, [0.5, 1.0, 1.0, 1.0])
    obs_long = acrobot_rollout(long, [1.5, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(obs_short, alone)
    assert np.abs(obs_short - obs_long).max() > 0.1  # different link length, different dynamics
    assert short.unwrapped.LINK_LENGTH_1 == 0.5 and short.unwrapped.LINK_COM_POS_1 == 0.25
    assert long.unwrapped.LINK_LENGTH_1 == 1.5 and long.unwrapped.LINK_COM_POS_1 == 0.75
    # Set on the instances (shadowing the class attributes), never on the class.
    assert "LINK_MASS_1" in vars(short.unwrapped) and "LINK_LENGTH_1" in vars(long.unwrapped)
    assert {n: getattr(AcrobotEnv, n) for n in ACROBOT_CLASS_VALUES} == ACROBOT_CLASS_VALUES
    fresh = gym.make("Acrobot-v1").unwrapped
    assert fresh.LINK_LENGTH_1 == 1.0 and fresh.LINK_MASS_2 == 1.0

    # set_task on one changes the other in nothing, now or after its reset.
    long.get_wrapper_attr("set_task")([0.5, 0.5, 0.5, 0.5])
    long.reset()
    np.testing.assert_array_equal(acrobot_rollout(short, [0.5, 1.0, 1.0, 1.0]), alone)


@pytest.mark.parametrize("name", ["link_length_2", "link_mass_1", "link_mass_2"])
def test_each_acrobot_parameter_changes_the_dynamics(name):
    env = gym.make("teachrl/Acrobot-v0")
    base = acrobot_rollout(env, [1.0] * 4)
    changed = acrobot_rollout(env, {name: 1.5})
    assert np.abs(base - changed).max() > 1e-3


def test_acrobot_success_is_termination_before_the_time_limit():
    env = gym.make("teachrl/Acrobot-v0")
    # Pump energy: torque with the second link's angular velocity (short light links).
    obs, _ = env.reset(seed=0, options={"task": [0.5, 0.5, 0.5, 0.5]})
    successes = []
    while True:
        obs, _, terminated, truncated, info = env.step(2 if obs[5] > 0 else 0)
        successes.append(info["success"])
        if terminated or truncated:
            break
    assert terminated and not truncated and successes[-1] and not any(successes[:-1])
    env = gym.make("teachrl/Acrobot-v0", max_episode_steps=20)  # the limit inside the wrapper
    env.reset(seed=0)
    for _ in range(20):
        *_, terminated, truncated, info = env.step(1)
    assert truncated and not terminated and info["success"] is False


def test_success_rules():
    env = gravity_cartpole(success=5.0)  # return >= 5: CartPole pays 1 per step
    env.reset(seed=0)
    flags = [env.step(i % 2)[4]["success"] for i in range(6)]
    assert flags == [False, False, False, False, True, True]

    calls = []

    def rule(episode_return, terminated, truncated, info):
        calls.append((episode_return, terminated, truncated, sorted(info)))
        return terminated

    env = gravity_cartpole(success=rule, max_episode_steps=3)
    env.reset(seed=0)
    for _ in range(3):
        *_, info = env.step(0)
    assert calls == [(1.0, False, False, ["task"]), (2.0, False, False, ["task"]), (3.0, False, True, ["task"])]
    assert info["success"] is False

    env = gravity_cartpole(success="terminated")
    env.reset(seed=0)
    while True:
        _, _, terminated, truncated, info = env.step(1)  # push right until the pole falls
        if terminated or truncated:
            break
    assert terminated and info["success"] is True
    env = gravity_cartpole()  # no rule: never a success
    env.reset(seed=0)
    assert env.step(1)[4]["success"] is False


def test_wrapper_on_an_instance_and_its_defaults():
    parameters = [TaskParameter("gravity", 2.0, 20.0, "gravity"), TaskParameter("force", 1.0, 30.0, "force_mag")]
    stock = gym.make("CartPole-v1")
    stock.unwrapped.gravity = 3.0
    env = TaskWrapper(stock, parameters, success=100.0)
    np.testing.assert_array_equal(env.default_task, [3.0, 10.0])  # the env's current values
    assert env.unwrapped is stock.unwrapped
    env.reset(seed=0, options={"task": {"force": 20.0}})
    assert (stock.unwrapped.gravity, stock.unwrapped.force_mag) == (3.0, 20.0)
    envs.check_task_env(env, make_env=lambda: TaskWrapper("CartPole-v1", parameters))
    with pytest.raises(envs.TaskEnvCheckError, match=r"\[independence\]: make_env built an env with another task space"):
        envs.check_task_env(env, make_env=gravity_cartpole)


def test_declaration_errors_name_the_bad_value():
    with pytest.raises(ValueError, match=r"'gravity' needs low < high, got \[5, 2\]"):
        TaskParameter("gravity", 5.0, 2.0, "gravity")
    with pytest.raises(ValueError, match="high of 'gravity' must be a finite number, got inf"):
        TaskParameter("gravity", 0.0, float("inf"), "gravity")
    with pytest.raises(ValueError, match=r"default of task parameter 'gravity' = 30.0 is outside its bounds \[2, 20\]"):
        TaskParameter("gravity", 2.0, 20.0, "gravity", default=30.0)
    with pytest.raises(ValueError, match="'gravity' applied by a callable needs a default"):
        TaskParameter("gravity", 2.0, 20.0, lambda env, v: None)
    with pytest.raises(ValueError, match="attribute name or callable, got 'not an attribute'"):
        TaskParameter("gravity", 2.0, 20.0, "not an attribute")
    with pytest.raises(ValueError, match="CartPoleEnv has no attribute 'gravityy'"):
        TaskWrapper("CartPole-v1", [TaskParameter("gravity", 2.0, 20.0, "gravityy")])
    with pytest.raises(ValueError, match=r"CartPoleEnv.masscart \(the default\) of task parameter 'cart' = 1.0 is outside"):
        TaskWrapper("CartPole-v1", [TaskParameter("cart", 2.0, 5.0, "masscart")])
    with pytest.raises(ValueError, match=r"duplicate task parameter name\(s\) \['g'\]"):
        TaskWrapper("CartPole-v1", [TaskParameter("g", 2.0, 20.0, "gravity")] * 2)
    with pytest.raises(ValueError, match="got 'reached'"):
        gravity_cartpole(success="reached")
    with pytest.raises(ValueError, match=r"make kwargs \['render_mode'\] need an env id"):
        TaskWrapper(gym.make("CartPole-v1"), [TaskParameter("g", 2.0, 20.0, "gravity")], render_mode="rgb_array")
    with pytest.raises(ValueError, match="'gravity'=25.0 is outside its bounds"):
        gravity_cartpole().set_task([25.0])
    with pytest.raises(ValueError, match="max_episode_steps must be a positive int, got 0"):
        envs.register_task_env("teachrl-test/X-v0", "CartPole-v1", [TaskParameter("g", 2.0, 20.0, "gravity")],
                               max_episode_steps=0)
    assert "teachrl-test/X-v0" not in gym.registry


def test_register_task_env_then_make_with_kwargs():
    env_id = "teachrl-test/CartPoleGravity-v0"
    try:
        envs.register_task_env(env_id, "CartPole-v1", [TaskParameter("gravity", 2.0, 20.0, "gravity")],
                               success=195.0, max_episode_steps=50)
        env = gym.make(env_id)
        _, info = env.reset(seed=0, options={"task": [4.0]})
        np.testing.assert_array_equal(info["task"], [4.0])
        assert env.unwrapped.gravity == 4.0
        steps = 0
        while True:  # the time limit (50) is the stock env's, inside the wrapper
            *_, terminated, truncated, info = env.step(steps % 2)
            steps += 1
            if terminated or truncated:
                break
        assert steps <= 50
        envs.check_task_env(env)
    finally:
        gym.registry.pop(env_id, None)


def test_a_user_module_env_runs_in_subprocess_workers():
    """``module:id`` envs register in SubprocVecEnv workers (forkserver: the run loop's default,
    whose workers do not inherit the parent's gymnasium registry)."""
    from students.train import EnvFactory, make_subproc_vec_env

    assert "teachrl-test/Pendulum-v0" not in gym.registry  # only the workers import the module
    factory = EnvFactory("custom_task_env:teachrl-test/Pendulum-v0")
    venv = make_subproc_vec_env([factory, factory], "forkserver")
    try:
        venv.env_method("set_task", [3.0, 1.5], indices=[1])
        venv.reset()
        assert [i["task"].tolist() for i in venv.reset_infos] == [[10.0, 1.0], [3.0, 1.5]]
        assert venv.get_attr("g") == [10.0, 3.0]  # on each worker's own PendulumEnv
        assert venv.get_attr("pending_task")[1].tolist() == [3.0, 1.5]
    finally:
        venv.close()


def test_ppo_under_alp_gmm_on_acrobot_through_the_training_loop(tmp_path):
    from students.train import run_curriculum

    result = run_curriculum({
        "env": "teachrl/Acrobot-v0", "teacher": "alp-gmm", "student": "ppo", "steps": 4096,
        "n_envs": 2, "eval_every": 0, "wandb_mode": "disabled", "run_dir": str(tmp_path / "run"),
        "checkpoint_every": 0, "teacher_params": {"fit_rate": 20},
        "student_params": {"n_steps": 256, "batch_size": 256, "n_epochs": 2},
    })
    assert result.steps >= 4096
    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    tasks = np.array([h["task"] for h in history])
    assert len(tasks) >= 8 and tasks.shape[1] == 4
    assert tasks.min() >= 0.5 and tasks.max() <= 1.5
    assert np.all(tasks.std(axis=0) > 0.1)  # spread over the declared bounds, each parameter
    assert {type(h["success"]) for h in history} == {bool}


def test_wrapper_is_quiet_under_gymnasium_make():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make("teachrl/Acrobot-v0")
        env.reset(seed=0)
        env.step(0)


def test_docs_custom_env_example_runs_and_passes_the_checker():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "custom-env.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert "scripts/train.py --env my_envs:my/MountainCar-v0" in text
    try:
        exec(compile(code, "docs/custom-env.md", "exec"), {})
        env = gym.make("my/MountainCar-v0")
        envs.check_task_env(env)
        env.reset(seed=0, options={"task": [0.001, 0.2]})
        assert (env.unwrapped.power, env.unwrapped.goal_position) == (0.001, 0.2)
    finally:
        gym.registry.pop("my/MountainCar-v0", None)
