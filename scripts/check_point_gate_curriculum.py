"""Sanity check that a curriculum matters on PointGate within 300k PPO steps.

Trains PPO (SB3 defaults except n_steps=256, batch_size=256; 4 envs; 1 torch thread) three
ways and reports the success rate on PointGate's levels 0-4 (10 seeded episodes each):

- ``hard``: always the level-3 task (gate at 1.5, width 0.4);
- ``random``: uniform tasks over the whole task space (domain randomization);
- ``schedule``: a hand-made curriculum, gate offset growing linearly from 0.2 to 2.0 over the
  first 80% of training, width uniform in [0.3, 1.0].

It also reports the % of an 8 x 8 grid over the task space mastered (one seeded episode per
task), the measure teachers are compared on.

    python scripts/check_point_gate_curriculum.py [--steps 300000] [--out benchmarks/results/point_gate_curriculum.md]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env

import envs  # noqa: F401  (registers the envs)
from envs.point_gate import PointGateEnv

LEVELS = range(5)


class TaskSetter(BaseCallback):
    """Sets each finished env's next task from ``mode`` (tasks are used at the auto-reset)."""

    def __init__(self, mode: str, total_steps: int, seed: int = 0) -> None:
        super().__init__()
        self.mode, self.total = mode, total_steps
        self.rng = np.random.default_rng(seed)

    def next_task(self) -> list[float]:
        if self.mode == "random":
            return [self.rng.uniform(-2.0, 2.0), self.rng.uniform(0.0, 1.5)]
        if self.mode == "schedule":
            offset = min(2.0, 0.2 + 2.25 * self.num_timesteps / self.total)
            return [self.rng.choice([-1.0, 1.0]) * self.rng.uniform(0.0, offset), self.rng.uniform(0.3, 1.0)]
        return PointGateEnv.level_task(3).tolist()

    def _on_step(self) -> bool:
        for i, done in enumerate(self.locals["dones"]):
            if done:
                self.training_env.env_method("set_task", self.next_task(), indices=[i])
        return True


def success_rate(model: PPO, task, episodes: int = 10) -> float:
    env = gym.make("teachrl/PointGate-v0")
    wins = 0
    for i in range(episodes):
        obs, _ = env.reset(seed=1000 + i, options={"task": task})
        while True:
            action, _ = model.predict(obs, deterministic=True)
            obs, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
        wins += info["success"]
    return wins / episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/point_gate_curriculum.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for mode in ("hard", "random", "schedule"):
        setter = TaskSetter(mode, args.steps, args.seed)
        venv = make_vec_env("teachrl/PointGate-v0", n_envs=4, seed=args.seed)
        for i in range(venv.num_envs):
            venv.env_method("set_task", setter.next_task(), indices=[i])
        start = time.time()
        model = PPO("MlpPolicy", venv, seed=args.seed, n_steps=256, batch_size=256, verbose=0)
        model.learn(args.steps, callback=setter)
        rates = [success_rate(model, PointGateEnv.level_task(lv)) for lv in LEVELS]
        grid = np.stack(np.meshgrid(np.linspace(-2, 2, 8), np.linspace(0, 1.5, 8)), -1).reshape(-1, 2)
        mastered = 100 * np.mean([success_rate(model, task, episodes=1) for task in grid])
        rows.append(
            f"| {mode} | " + " | ".join(f"{r:.1f}" for r in rates)
            + f" | {mastered:.0f}% | {time.time() - start:.0f} |"
        )
        print(rows[-1], flush=True)
    header = [
        f"# PointGate: does a curriculum matter? ({args.steps} PPO steps, seed {args.seed})", "",
        "Success rate per level (`envs.point_gate.LEVELS`; 10 episodes each).", "",
        "| training tasks | "
        + " | ".join(f"L{lv} {PointGateEnv.level_task(lv).tolist()}" for lv in LEVELS)
        + " | grid mastered | wall s |",
        "|---|" + "---:|" * (len(LEVELS) + 2),
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(header + rows) + "\n")


if __name__ == "__main__":
    main()
