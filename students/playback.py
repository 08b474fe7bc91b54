"""Playing a run's trained policy on a chosen task: returns, and frames for a GIF.

:func:`play_policy` loads a run directory's latest checkpoint (the model and, when the run
normalized observations, its ``VecNormalize`` statistics, frozen), builds the run's env with
``render_mode="rgb_array"`` and runs whole episodes on ``task`` with deterministic actions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv

from students.checkpoint import read_checkpoint
from students.config import RunConfig, algorithm_class
from students.run_dir import CHECKPOINT_DIR, CONFIG_FILE, RunDirError
from students.train import EnvFactory

__all__ = ["Playback", "play_policy"]


@dataclasses.dataclass
class Playback:
    """What :func:`play_policy` returns.

    :param returns: each episode's return.
    :param successes: each episode's ``info["success"]`` at its end.
    :param frames: rendered frames (``H × W × 3`` uint8), every ``frame_every``-th step.
    :param step: the env step of the checkpoint that was played.
    """

    returns: list[float]
    successes: list[bool]
    frames: list[np.ndarray]
    step: int


def play_policy(
    run_dir: str | Path,
    task: Any,
    episodes: int = 1,
    frame_every: int = 0,
    seed: int = 0,
    device: str = "cpu",
) -> Playback:
    """Play the run's latest checkpoint on ``task``.

    :param run_dir: a run directory with a checkpoint.
    :param task: the env task (array-like or ``{name: value}``).
    :param episodes: whole episodes to play.
    :param frame_every: keep a rendered frame every this many steps (``0``: no rendering).
    :param seed: seed of the first episode's reset (then ``seed + 1``, ...).
    :param device: torch device of the policy.
    :raises RunDirError: without a checkpoint. ``ValueError`` for a task outside the env's
        task space.
    """
    run_dir = Path(run_dir)
    config = RunConfig.from_yaml(run_dir / CONFIG_FILE)
    checkpoint = read_checkpoint(run_dir / CHECKPOINT_DIR)
    if checkpoint is None:
        raise RunDirError(f"{run_dir / CHECKPOINT_DIR}: no checkpoint to play")
    kwargs = {**config.env_kwargs, **({"render_mode": "rgb_array"} if frame_every > 0 else {})}
    env = EnvFactory(config.env, kwargs, monitor=False)()
    env.get_wrapper_attr("set_task")(task)  # validated now (ValueError naming the parameter)
    venv: Any = DummyVecEnv([lambda: env])
    if checkpoint.vec_normalize is not None:  # the run's observation statistics, frozen
        venv, venv.training, venv.norm_reward = checkpoint.vec_normalize, False, False
        venv.set_venv(DummyVecEnv([lambda: env]))
    model = algorithm_class(config.student).load(checkpoint.model_path, device=device)
    returns, successes, frames = [], [], []
    try:
        for k in range(episodes):
            venv.seed(seed + k)
            obs, total, done, t = venv.reset(), 0.0, False, 0
            while not done:
                if frame_every > 0 and t % frame_every == 0:
                    frames.append(env.render())
                action, _ = model.predict(obs, deterministic=True)
                obs, rewards, dones, infos = venv.step(action)  # raw rewards: norm_reward is off
                total, done, t = total + float(rewards[0]), bool(dones[0]), t + 1
            returns.append(total)
            successes.append(bool(infos[0].get("success", False)))
    finally:
        venv.close()
    return Playback(returns, successes, frames, int(checkpoint.loop_state["step"]))
