"""Overhead of the curriculum loop: PPO steps/s with vs without CurriculumVecEnv.

Same process, same env, same PPO settings. Two models are built once ("with" =
CurriculumVecEnv + Random teacher: task set ahead at every episode end, attribution
cross-checked, history rows built; "without" = the same vector env whose envs draw a uniform
task themselves at every reset, so both sides run the same distribution of episodes) and
trained in alternating short chunks (with, without, without, with, ...), so the load of a
shared machine hits both sides alike. Raw env stepping (random actions, no learning), where
the loop's per-episode cost is most visible, is measured the same way.

    python scripts/benchmark_loop_overhead.py                 # DummyVecEnv and SubprocVecEnv
    python scripts/benchmark_loop_overhead.py --vec-env dummy --rounds 10

Writes benchmarks/results/loop_overhead.json and .md. Goal: PPO ratio >= 0.97.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv

import teachers
from students.config import load_yaml
from students.curriculum import CurriculumVecEnv
from students.train import EnvFactory, make_subproc_vec_env

DEFAULT_ENV = "students.testing:teachrl_test/TaskEcho-v0"
PPO_KWARGS = {"n_steps": 256, "batch_size": 256, "n_epochs": 4}


class LocalUniformTasks(gym.Wrapper):
    """The baseline: the env draws a uniform task itself at every reset (no teacher, no loop)."""

    def __init__(self, env: gym.Env, seed: int) -> None:
        super().__init__(env)
        self.space = env.get_wrapper_attr("task_space")
        self.rng = np.random.default_rng(seed)

    def reset(self, **kwargs):
        low, high = self.space.low.astype(np.float64), self.space.high.astype(np.float64)
        self.env.get_wrapper_attr("set_task")(low + self.rng.random(low.shape) * (high - low))
        return self.env.reset(**kwargs)


class BaselineFactory:
    """Picklable thunk of the baseline env (SubprocVecEnv under forkserver pickles it)."""

    def __init__(self, env_id: str, env_kwargs: dict, seed: int) -> None:
        self.make, self.seed = EnvFactory(env_id, env_kwargs), seed

    def __call__(self) -> gym.Env:
        return LocalUniformTasks(self.make(), self.seed)


def make_env(env_id: str, env_kwargs: dict, kind: str, n_envs: int, curriculum: bool, seed: int):
    """(vector env to train on, raw vector env to close)."""
    if curriculum:
        fns = [EnvFactory(env_id, env_kwargs) for _ in range(n_envs)]
    else:
        fns = [BaselineFactory(env_id, env_kwargs, seed + i) for i in range(n_envs)]
    venv = DummyVecEnv(fns) if kind == "dummy" else make_subproc_vec_env(fns, "forkserver")
    venv.seed(seed)
    if not curriculum:
        return venv, venv
    space = venv.get_attr("task_space", indices=[0])[0]
    return CurriculumVecEnv(venv, teachers.make("random", space, seed=seed)), venv


def interleaved(run_with, run_without, rounds: int) -> dict[str, list[float]]:
    """Wall and main-process CPU seconds per chunk for both sides, alternating the order."""
    out: dict[str, list[float]] = {"wall_with": [], "wall_without": [], "cpu_with": [], "cpu_without": []}
    for r in range(rounds):
        for cur in ((True, False) if r % 2 == 0 else (False, True)):
            tag = "with" if cur else "without"
            wall, cpu = time.perf_counter(), time.process_time()
            (run_with if cur else run_without)()
            out[f"cpu_{tag}"].append(time.process_time() - cpu)
            out[f"wall_{tag}"].append(time.perf_counter() - wall)
    return out


def summarize(t: dict[str, list[float]], chunk: int) -> dict:
    """Steps/s and ratios (time without / time with: 1.0 = no overhead)."""
    n = len(t["wall_with"])
    return {
        "steps_per_s_with": chunk * n / sum(t["wall_with"]),
        "steps_per_s_without": chunk * n / sum(t["wall_without"]),
        "ratio_total": sum(t["wall_without"]) / sum(t["wall_with"]),
        "ratio_paired_median": statistics.median(
            b / a for a, b in zip(t["wall_with"], t["wall_without"], strict=True)),
        # main-process CPU time: insensitive to other processes' load (for DummyVecEnv it is
        # all the work; for SubprocVecEnv the workers' CPU is not included)
        "cpu_ratio_total": sum(t["cpu_without"]) / sum(t["cpu_with"]),
        "chunk_seconds": t,
    }


def bench_setting(args, kind: str, env_kwargs: dict) -> dict:
    envs = [make_env(args.env, env_kwargs, kind, args.n_envs, cur, args.seed) for cur in (True, False)]
    try:
        # PPO: chunks of whole rollouts, after one warm-up rollout each
        models = [PPO("MlpPolicy", env, seed=args.seed, device="cpu", **PPO_KWARGS) for env, _ in envs]
        chunk = args.n_envs * PPO_KWARGS["n_steps"] * args.rollouts_per_chunk
        for m in models:
            m.learn(args.n_envs * PPO_KWARGS["n_steps"])
        ppo = summarize(interleaved(
            lambda: models[0].learn(chunk, reset_num_timesteps=False),
            lambda: models[1].learn(chunk, reset_num_timesteps=False), args.rounds), chunk)
        # raw env stepping with fixed random actions
        env_with, env_without = envs[0][0], envs[1][0]
        actions = [np.stack([env_with.action_space.sample() for _ in range(args.n_envs)]) for _ in range(64)]
        episodes = {True: 0, False: 0}

        def stepper(env, side):
            def run():
                for k in range(args.env_chunk // args.n_envs):
                    _, _, dones, _ = env.step(actions[k % 64])
                    episodes[side] += int(dones.sum())
            return run

        env_with.reset()
        env_without.reset()
        raw = summarize(interleaved(stepper(env_with, True), stepper(env_without, False), args.rounds),
                        args.env_chunk)
        return {"vec_env": kind, "env_kwargs": env_kwargs, "ppo": ppo, "env_only": raw,
                "mean_episode_length": args.env_chunk * args.rounds / max(episodes[True], 1)}
    finally:
        for _, raw_venv in envs:
            raw_venv.close()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", default=DEFAULT_ENV, help="env id following the env contract")
    p.add_argument("--env-kwargs", nargs="+", default=["{min_length: 50, max_length: 150}", "{min_length: 3, max_length: 12}"],
                   help="one YAML mapping per setting (default: typical, then very short episodes)")
    p.add_argument("--vec-env", nargs="+", default=["dummy", "subproc"], choices=["dummy", "subproc"])
    p.add_argument("--n-envs", type=int, default=8)
    p.add_argument("--rounds", type=int, default=8, help="interleaved rounds (one chunk per side each)")
    p.add_argument("--rollouts-per-chunk", type=int, default=2, help="PPO rollouts per chunk")
    p.add_argument("--env-chunk", type=int, default=10_000, help="raw env steps per chunk")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="benchmarks/results")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    results = {
        "env": args.env, "n_envs": args.n_envs, "rounds": args.rounds,
        "ppo": {**PPO_KWARGS, "policy": "MlpPolicy", "steps_per_chunk": args.n_envs * 256 * args.rollouts_per_chunk},
        "env_steps_per_chunk": args.env_chunk,
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "cpu_count": os.cpu_count(), "torch_threads": 1, "load_avg_start": os.getloadavg()},
        "settings": [],
    }
    for env_kwargs in args.env_kwargs:
        for kind in args.vec_env:
            r = bench_setting(args, kind, load_yaml(env_kwargs) or {})
            results["settings"].append(r)
            print(f"[{kind} {r['env_kwargs']}] PPO ratio {r['ppo']['ratio_total']:.3f} "
                  f"(paired median {r['ppo']['ratio_paired_median']:.3f}, CPU "
                  f"{r['ppo']['cpu_ratio_total']:.3f}); env-only ratio "
                  f"{r['env_only']['ratio_total']:.3f} (CPU {r['env_only']['cpu_ratio_total']:.3f})", flush=True)
    results["machine"]["load_avg_end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "loop_overhead.json").write_text(json.dumps(results, indent=2))
    lines = [
        "# Curriculum loop overhead: steps/s with / without CurriculumVecEnv + Random teacher",
        "",
        f"env `{args.env}`, {args.n_envs} envs, {args.rounds} interleaved rounds; PPO chunks of "
        f"{results['ppo']['steps_per_chunk']} steps (n_steps 256, batch 256, 4 epochs, 1 torch "
        f"thread), env-only chunks of {args.env_chunk} random-action steps. Ratio = time without / "
        f"time with (1.0 = no overhead): wall clock (total, and median of paired chunks) and "
        f"main-process CPU time (robust to other users' load; all the work for dummy, not the "
        f"workers' for subproc). Load average {results['machine']['load_avg_start'][0]:.1f} "
        f"at start on {os.cpu_count()} cores.",
        "",
        "| vec env | env kwargs | mean ep. length | PPO steps/s with | without | **PPO ratio** wall (paired) | PPO ratio CPU | env-only steps/s with | without | env-only ratio wall | CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["settings"]:
        ppo, raw = r["ppo"], r["env_only"]
        lines.append(
            f"| {r['vec_env']} | `{json.dumps(r['env_kwargs'])}` | {r['mean_episode_length']:.1f} | "
            f"{ppo['steps_per_s_with']:.0f} | {ppo['steps_per_s_without']:.0f} | "
            f"**{ppo['ratio_total']:.3f}** ({ppo['ratio_paired_median']:.3f}) | {ppo['cpu_ratio_total']:.3f} | "
            f"{raw['steps_per_s_with']:.0f} | {raw['steps_per_s_without']:.0f} | {raw['ratio_total']:.3f} | "
            f"{raw['cpu_ratio_total']:.3f} |"
        )
    lines += ["", "Goal: PPO ratio >= 0.97. Reproduce: `python scripts/benchmark_loop_overhead.py`."]
    (out / "loop_overhead.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
