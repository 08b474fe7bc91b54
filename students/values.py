"""The student's value estimates the curriculum loop gives to teachers that need them.

Teachers declare needs (:attr:`teachers.Teacher.requires`, ``requires_value_fn``); this
module turns an SB3 student into them:

- :class:`PolicyValue`: V(s) of raw observations, through SB3's public API
  (``policy.obs_to_tensor`` then ``policy.predict_values``). The observation is first
  normalized by the run's ``VecNormalize`` (if any) with its *current* statistics, i.e. it is
  the observation the policy would see now; with ``norm_reward`` the estimate is scaled back
  to raw reward units (SB3 divides rewards by ``sqrt(ret_rms.var + epsilon)``). It is the
  critic's estimate of the *discounted* return (the student's ``gamma``).
- :class:`TaskValueFunction`: tasks -> V(s0) of each task's first observation, obtained by
  resetting a scratch env (never a training env) with ``options={"task": ...}`` (the env
  contract) and evaluating :class:`PolicyValue` on the batch.
- :func:`check_student_provides`: refuses, before anything is written, a student that
  cannot give what the teacher requires (a state-value network for ``"value"`` and
  ``requires_value_fn``: SB3's on-policy actor-critics PPO and A2C have one; SAC, TD3 and
  DDPG learn Q(s, a) only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.vec_env import VecNormalize, unwrap_vec_wrapper

__all__ = ["PolicyValue", "TaskValueFunction", "check_student_provides", "needs_value", "obs_row", "stack_obs"]


def obs_row(obs: Any, i: int) -> Any:
    """A copy of env ``i``'s observation in a vector env's batch (dict observations too)."""
    if isinstance(obs, dict):
        return {k: np.array(v[i], copy=True) for k, v in obs.items()}
    return np.array(obs[i], copy=True)


def stack_obs(rows: list[Any]) -> Any:
    """A batch from single observations (dict observations too)."""
    if rows and isinstance(rows[0], dict):
        return {k: np.stack([r[k] for r in rows]) for k in rows[0]}
    return np.stack(rows)


def needs_value(teacher: Any) -> bool:
    """Whether ``teacher`` needs the student's state-value function."""
    return "value" in getattr(teacher, "requires", ()) or bool(getattr(teacher, "requires_value_fn", False))


def check_student_provides(teacher: Any, algo: type, student_name: str | None = None) -> None:
    """Raise a ``ValueError`` if a student of class ``algo`` cannot provide what ``teacher``
    requires.

    :param teacher: the teacher or its class (its ``requires`` and ``requires_value_fn``).
    :param algo: the SB3 algorithm class.
    :param student_name: the name shown in the message (default: the class name).
    """
    from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm

    if not needs_value(teacher) or issubclass(algo, OnPolicyAlgorithm):
        return
    what = "'value' (the student's V(s0))" if "value" in teacher.requires else "a value function over tasks"
    raise ValueError(
        f"teacher {(teacher if isinstance(teacher, type) else type(teacher)).__name__} requires {what}, but student {student_name or algo.__name__!r} "
        "has no state-value network (it learns Q(s, a)); use an on-policy student (ppo, a2c) or a teacher "
        "that works from returns (e.g. currot)"
    )


class PolicyValue:
    """V(s) of a batch of raw observations under ``model``'s current critic.

    :param model: an SB3 on-policy model (its policy has ``predict_values``).
    :raises ValueError: if the policy has no state-value head.
    """

    def __init__(self, model: Any) -> None:
        if not callable(getattr(getattr(model, "policy", None), "predict_values", None)):
            raise ValueError(
                f"{type(model).__name__}'s policy has no state-value network (predict_values); "
                "use an on-policy student (ppo, a2c)"
            )
        self.model = model

    def normalizer(self) -> VecNormalize | None:
        """The model's ``VecNormalize`` wrapper, if its env has one."""
        env = self.model.get_env()
        return unwrap_vec_wrapper(env, VecNormalize) if env is not None else None

    def __call__(self, raw_obs: Any) -> np.ndarray:
        """:param raw_obs: a batch of observations as the env returns them (before
        ``VecNormalize``). :return: ``(n,)`` float64 values in raw reward units."""
        norm = self.normalizer()
        obs = norm.normalize_obs(raw_obs) if norm is not None else raw_obs
        policy = self.model.policy
        with torch.no_grad():
            tensor, _ = policy.obs_to_tensor(obs)
            values = policy.predict_values(tensor).cpu().numpy().astype(np.float64).reshape(-1)
        if norm is not None and norm.norm_reward:
            values *= float(np.sqrt(norm.ret_rms.var + norm.epsilon))
        return values


class TaskValueFunction:
    """Tasks -> V(s0): the value of each task's first observation (for teachers with
    ``requires_value_fn``).

    :param value: a :class:`PolicyValue`.
    :param env_fn: builds the scratch env (the run's env, without ``Monitor``).
    :param task_map: maps teacher tasks to env tasks (``None``: identity).
    :param seed: seed of the scratch env's first reset (later resets continue its RNG).
    """

    def __init__(
        self,
        value: PolicyValue,
        env_fn: Callable[[], gym.Env],
        task_map: Callable[[Any], Any] | None = None,
        seed: int | None = None,
    ) -> None:
        self.value, self.env_fn, self.task_map, self.seed = value, env_fn, task_map, seed
        self._env: gym.Env | None = None

    def first_observations(self, tasks: np.ndarray) -> np.ndarray:
        """The first observation of an episode of each task (one reset each)."""
        if self._env is None:
            self._env = self.env_fn()
            self._env.reset(seed=self.seed)
        obs = []
        for task in np.asarray(tasks):
            env_task = task if self.task_map is None else self.task_map(task)
            o, _ = self._env.reset(options={"task": env_task})
            obs.append(o)
        return stack_obs(obs)

    def __call__(self, tasks: np.ndarray) -> np.ndarray:
        """:param tasks: ``(n, d)`` raw teacher tasks. :return: ``(n,)`` values."""
        tasks = np.asarray(tasks)
        if len(tasks) == 0:
            return np.zeros(0)
        return self.value(self.first_observations(tasks))

    def close(self) -> None:
        """Close the scratch env."""
        if self._env is not None:
            self._env.close()
            self._env = None
