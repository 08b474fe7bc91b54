"""Overhead of the curriculum loop: PPO steps/s with vs without CurriculumVecEnv.

Same process, same env, same PPO settings; repetitions are interleaved (with, without, without,
with, ...) so machine load affects both sides alike. "with" = CurriculumVecEnv + Random teacher
(task set ahead on every episode end, attribution cross-checked, history rows built);
"without" = the same vector env, tasks never changed. Also reports raw env stepping (random
actions, no learning), where the loop's per-episode cost is most visible.

    python scripts/benchmark_loop_overhead.py                 # DummyVecEnv and SubprocVecEnv
    python scripts/benchmark_loop_overhead.py --vec-env dummy --reps 3

Writes benchmarks/results/loop_overhead.json and .md. Goal: ratio >= 0.97.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv

import teachers
from students.config import load_yaml
from students.curriculum import CurriculumVecEnv
from students.train import EnvFactory, close_vec_env, make_subproc_vec_env

DEFAULT_ENV = "students.testing:teachrl_test/TaskEcho-v0"


def make_venv(env_id: str, kind: str, n_envs: int, seed: int, env_kwargs: dict):
    fns = [EnvFactory(env_id, env_kwargs) for _ in range(n_envs)]
    venv = DummyVecEnv(fns) if kind == "dummy" else make_subproc_vec_env(fns, "forkserver")
    venv.seed(seed)
    return venv


def wrap(venv, curriculum: bool, seed: int):
    if not curriculum:
        return venv
    space = venv.get_attr("task_space", indices=[0])[0]
    return CurriculumVecEnv(venv, teachers.make("random", space, seed=seed))


def ppo_rate(env_id, env_kwargs, kind, n_envs, steps, curriculum, seed) -> float:
    venv = make_venv(env_id, kind, n_envs, seed, env_kwargs)
    try:
        env = wrap(venv, curriculum, seed)
        model = PPO("MlpPolicy", env, n_steps=256, batch_size=256, n_epochs=4, seed=seed, device="cpu")
        model.learn(n_envs * 256)  # warm-up rollout (allocations, first reset)
        start = time.perf_counter()
        model.learn(steps, reset_num_timesteps=False)
        return steps / (time.perf_counter() - start)
    finally:
        close_vec_env(venv)


def env_rate(env_id, env_kwargs, kind, n_envs, steps, curriculum, seed) -> tuple[float, int]:
    venv = make_venv(env_id, kind, n_envs, seed, env_kwargs)
    try:
        env = wrap(venv, curriculum, seed)
        actions = [np.stack([env.action_space.sample() for _ in range(n_envs)]) for _ in range(64)]
        env.reset()
        episodes = 0
        start = time.perf_counter()
        for k in range(steps // n_envs):
            _, _, dones, _ = env.step(actions[k % 64])
            episodes += int(dones.sum())
        return steps / (time.perf_counter() - start), episodes
    finally:
        close_vec_env(venv)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", default=DEFAULT_ENV, help="env id following the env contract")
    p.add_argument("--env-kwargs", nargs="+", default=["{min_length: 50, max_length: 150}", "{min_length: 3, max_length: 12}"],
                   help="one YAML mapping per setting (default: typical, then very short episodes)")
    p.add_argument("--vec-env", nargs="+", default=["dummy", "subproc"], choices=["dummy", "subproc"])
    p.add_argument("--n-envs", type=int, default=8)
    p.add_argument("--steps", type=int, default=32_768, help="PPO steps per repetition")
    p.add_argument("--env-steps", type=int, default=100_000, help="raw env steps per repetition")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="benchmarks/results")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    results = {
        "env": args.env, "n_envs": args.n_envs, "ppo_steps_per_rep": args.steps,
        "env_steps_per_rep": args.env_steps, "reps": args.reps,
        "ppo": {"n_steps": 256, "batch_size": 256, "n_epochs": 4, "policy": "MlpPolicy"},
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "cpu_count": __import__("os").cpu_count(), "torch_threads": 1},
        "settings": [],
    }
    settings = [(kind, load_yaml(kw) or {}) for kw in args.env_kwargs for kind in args.vec_env]
    for kind, env_kwargs in settings:
        rows = {"ppo_with": [], "ppo_without": [], "env_with": [], "env_without": []}
        episodes = 0
        for rep in range(args.reps):
            order = (True, False) if rep % 2 == 0 else (False, True)
            for cur in order:
                tag = "with" if cur else "without"
                common = (args.env, env_kwargs, kind, args.n_envs)
                rows[f"ppo_{tag}"].append(ppo_rate(*common, args.steps, cur, args.seed + rep))
                rate, episodes = env_rate(*common, args.env_steps, cur, args.seed + rep)
                rows[f"env_{tag}"].append(rate)
            print(f"[{kind} {env_kwargs}] rep {rep}: PPO {rows['ppo_with'][-1]:.0f} vs "
                  f"{rows['ppo_without'][-1]:.0f} steps/s; env {rows['env_with'][-1]:.0f} vs "
                  f"{rows['env_without'][-1]:.0f} steps/s", flush=True)
        paired = [w / wo for w, wo in zip(rows["ppo_with"], rows["ppo_without"], strict=True)]
        results["settings"].append({
            "vec_env": kind, "env_kwargs": env_kwargs, **rows,
            "ppo_ratio_of_medians": statistics.median(rows["ppo_with"]) / statistics.median(rows["ppo_without"]),
            "ppo_ratio_paired_median": statistics.median(paired),
            "env_ratio_of_medians": statistics.median(rows["env_with"]) / statistics.median(rows["env_without"]),
            "mean_episode_length": args.env_steps / max(episodes, 1),
        })
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "loop_overhead.json").write_text(json.dumps(results, indent=2))
    lines = [
        "# Curriculum loop overhead (PPO steps/s, with / without CurriculumVecEnv + Random teacher)",
        "",
        f"env `{args.env}`, {args.n_envs} envs, {args.reps} interleaved reps of {args.steps} PPO steps "
        f"(n_steps 256, batch 256, 4 epochs, 1 torch thread) and {args.env_steps} raw env steps. Medians.",
        "",
        "| vec env | env kwargs | mean ep. length | PPO with | PPO without | PPO ratio | env-only with | env-only without | env-only ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["settings"]:
        lines.append(
            f"| {r['vec_env']} | `{json.dumps(r['env_kwargs'])}` | {r['mean_episode_length']:.1f} | {statistics.median(r['ppo_with']):.0f} | {statistics.median(r['ppo_without']):.0f} | "
            f"**{r['ppo_ratio_of_medians']:.3f}** | {statistics.median(r['env_with']):.0f} | "
            f"{statistics.median(r['env_without']):.0f} | {r['env_ratio_of_medians']:.3f} |"
        )
    lines += ["", "Goal: PPO ratio >= 0.97. Reproduce: `python scripts/benchmark_loop_overhead.py`."]
    (out / "loop_overhead.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
