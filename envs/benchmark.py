"""Env throughput measurement (used by ``scripts/benchmark_envs.py``)."""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["EnvCase", "benchmark", "profile_share", "steps_per_second", "to_markdown"]

#: (label, env id, make kwargs, unwrap) — ``unwrap`` times the bare env, without gymnasium's
#: make-wrappers (TimeLimit, OrderEnforcing, PassiveEnvChecker).
EnvCase = tuple[str, str, dict[str, Any], bool]


def steps_per_second(env: gym.Env, n_steps: int, seed: int = 0, include_resets: bool = True) -> float:
    """Env steps per second under uniformly random actions, resetting when episodes end.

    Actions are drawn before the clock starts, so only ``reset``/``step`` are timed.

    :param include_resets: count the time of the resets (random walkers fall often, so resets
        weigh); ``False`` times the steps alone.
    """
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(n_steps)]
    env.reset(seed=seed)
    reset_time = 0.0
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            t = time.perf_counter()
            env.reset()
            reset_time += time.perf_counter() - t
    elapsed = time.perf_counter() - start
    return n_steps / (elapsed if include_resets else elapsed - reset_time)


def profile_share(env: gym.Env, n_steps: int, function: str, seed: int = 0) -> dict[str, float]:
    """Where the time of :func:`steps_per_second`'s loop goes, under ``cProfile``.

    :param function: the profiler's name of the function to account for, e.g.
        ``"<built-in method Box2D._Box2D.b2World_Step>"`` (Box2D's physics step).
    :return: ``share`` (of the profiled time spent in ``function``), ``ms_per_step`` (its time
        per env step, ms; a C function's time is hardly inflated by the profiler) and
        ``episodes`` (ended during the loop).
    """
    import cProfile
    import pstats

    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(n_steps)]
    env.reset(seed=seed)
    episodes = 0
    profiler = cProfile.Profile()
    profiler.enable()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            episodes += 1
            env.reset()
    profiler.disable()
    stats = pstats.Stats(profiler)
    inside = sum(row[2] for key, row in stats.stats.items() if key[2] == function)
    return {"share": inside / stats.total_tt, "ms_per_step": 1000 * inside / n_steps, "episodes": episodes}


def benchmark(
    cases: list[EnvCase], n_steps: int, rounds: int, seed: int = 0, include_resets: bool = True
) -> dict[str, dict]:
    """Median steps/s of each case over ``rounds`` interleaved rounds.

    Interleaving the cases round by round spreads machine load over all of them equally, so
    ratios between cases measured in one call are fair.
    """
    samples: dict[str, list[float]] = {label: [] for label, *_ in cases}
    made = {}
    for label, env_id, kwargs, unwrap in cases:
        env = gym.make(env_id, **kwargs)
        made[label] = env.unwrapped if unwrap else env
    for r in range(rounds):
        for label, *_ in cases:
            samples[label].append(steps_per_second(made[label], n_steps, seed + r, include_resets))
    return {
        label: {
            "env_id": env_id, "kwargs": kwargs, "unwrapped": unwrap,
            "steps_per_s": float(np.median(samples[label])), "samples": samples[label],
        }
        for label, env_id, kwargs, unwrap in cases
    }


def to_markdown(results: dict[str, dict], ratios: dict[str, float], header: str) -> str:
    """A markdown table of the results, then the ratios."""
    lines = [header, "", "| env | kwargs | wrappers | steps/s (median) |", "|---|---|---|---:|"]
    for label, r in results.items():
        wrappers = "none (unwrapped)" if r["unwrapped"] else "gymnasium.make"
        lines.append(f"| {label} | `{r['kwargs']}` | {wrappers} | {r['steps_per_s']:,.0f} |")
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {name} | {value:.2f} |" for name, value in ratios.items()]
    return "\n".join(lines) + "\n"
