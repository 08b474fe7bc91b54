"""Evaluation on a fixed test set of tasks: :func:`make_test_set` and :class:`TaskEvaluator`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

__all__ = ["TaskEvaluator", "make_test_set"]


def make_test_set(task_space: spaces.Box, n: int, seed: int | None = 0) -> np.ndarray:
    """The fixed test set of a run, ``(n, d)`` raw tasks.

    1-D spaces: ``n`` evenly spaced cell centres. 2-D spaces: a ``√n × √n`` grid of cell
    centres (``n`` must be a square). Higher dimensions: ``n`` seeded uniform draws.

    :param task_space: a 1-D ``Box`` with finite bounds.
    :param n: number of test tasks.
    :param seed: seed of the uniform draws (ignored for grids).
    :raises ValueError: for ``n < 1``, a non-square ``n`` in 2-D, or an unsupported space.
    """
    if not isinstance(task_space, spaces.Box) or len(task_space.shape) != 1:
        raise ValueError(f"test sets need a 1-D Box task space, got {task_space!r}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"test set size must be a positive integer, got {n!r}")
    low = np.asarray(task_space.low, dtype=np.float64)
    high = np.asarray(task_space.high, dtype=np.float64)
    d = low.shape[0]
    if d == 1:
        u = ((np.arange(n) + 0.5) / n)[:, None]
    elif d == 2:
        side = math.isqrt(n)
        if side * side != n:
            raise ValueError(f"a 2-D task space needs a square test set size (e.g. 64, 100), got {n}")
        c = (np.arange(side) + 0.5) / side
        u = np.stack(np.meshgrid(c, c, indexing="ij"), axis=-1).reshape(-1, 2)
    else:
        u = np.random.default_rng(seed).random((n, d))
    return low + u * (high - low)


class TaskEvaluator:
    """Runs a policy deterministically on every test task, ``n_parallel`` envs at a time.

    Each env is reset with ``options={"task": task}`` and a fixed seed per (task, episode),
    so successive evaluations see the same env randomness. A task is *mastered* when at
    least half of its episodes end with ``info["success"]``.

    :param env_fn: builds one env (same id/kwargs as training; env contract).
    :param tasks: ``(n, d)`` test tasks.
    :param n_episodes: episodes per task.
    :param n_parallel: envs stepped together (policy calls are batched over them).
    :param seed: base seed of the evaluation episodes.
    """

    def __init__(
        self,
        env_fn: Callable[[], gym.Env],
        tasks: np.ndarray,
        n_episodes: int = 1,
        n_parallel: int = 8,
        seed: int = 0,
    ) -> None:
        if n_episodes < 1 or n_parallel < 1:
            raise ValueError(f"n_episodes and n_parallel must be >= 1, got {n_episodes}, {n_parallel}")
        self.tasks = np.asarray(tasks, dtype=np.float64)
        self.n_episodes = n_episodes
        self.seed = seed
        self.envs = [env_fn() for _ in range(min(n_parallel, len(self.tasks) * n_episodes))]

    def evaluate(self, model: Any, obs_normalizer: Any = None) -> dict[str, Any]:
        """Evaluate ``model`` (anything with SB3's ``predict``).

        :param obs_normalizer: a ``VecNormalize`` whose ``normalize_obs`` is applied, or ``None``.
        :return: ``{"returns": [...], "successes": [...], "mastered_pct": float}``, one entry
            per task (returns averaged over episodes).
        """
        jobs = [(t, e) for t in range(len(self.tasks)) for e in range(self.n_episodes)]
        returns = np.zeros((len(self.tasks), self.n_episodes))
        successes = np.zeros((len(self.tasks), self.n_episodes), dtype=bool)
        slots: list[Any] = [None] * len(self.envs)  # job of each env, or None when idle
        obs: list[Any] = [None] * len(self.envs)
        acc = np.zeros(len(self.envs))
        next_job = 0

        def start(k: int) -> None:
            nonlocal next_job
            if next_job >= len(jobs):
                slots[k] = None
                return
            t, e = jobs[next_job]
            obs[k], _ = self.envs[k].reset(
                seed=self.seed + next_job, options={"task": self.tasks[t]}
            )
            slots[k], acc[k] = (t, e), 0.0
            next_job += 1

        for k in range(len(self.envs)):
            start(k)
        while any(s is not None for s in slots):
            active = [k for k, s in enumerate(slots) if s is not None]
            batch = np.stack([obs[k] for k in active])
            if obs_normalizer is not None:
                batch = obs_normalizer.normalize_obs(batch)
            actions, _ = model.predict(batch, deterministic=True)
            for k, action in zip(active, actions, strict=True):
                obs[k], reward, terminated, truncated, info = self.envs[k].step(action)
                acc[k] += float(reward)
                if terminated or truncated:
                    t, e = slots[k]
                    returns[t, e], successes[t, e] = acc[k], bool(info.get("success", False))
                    start(k)
        mastered = successes.mean(axis=1) >= 0.5
        return {
            "returns": returns.mean(axis=1).tolist(),
            "successes": mastered.tolist(),
            "mastered_pct": float(100.0 * mastered.mean()),
        }

    def close(self) -> None:
        """Close the evaluation envs."""
        for env in self.envs:
            env.close()
