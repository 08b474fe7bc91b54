"""Render the docs' frames (docs/img): easy and hard Stump Tracks for each body, and PointGate levels.

    python scripts/render_frames.py [--out docs/img]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym
import imageio.v3 as iio
import numpy as np

import envs  # noqa: F401  (registers the envs)
from envs.point_gate import PointGateEnv

STUMP_TASKS = {"easy": [0.3, 5.0], "hard": [2.0, 0.8]}
BODIES = ("default", "short", "quadruped")
POINT_GATE_LEVELS = (0, 3)


def stump_frame(body: str, task: list[float], settle_steps: int = 40) -> np.ndarray:
    """A frame after the walker has settled on its start pad (zero torque)."""
    env = gym.make("teachrl/StumpTracks-v0", body=body, render_mode="rgb_array")
    env.reset(seed=0, options={"task": task})
    for _ in range(settle_steps):
        env.step(np.zeros(env.action_space.shape, dtype=np.float32))
    frame = env.render()
    env.close()
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs/img")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    for body in BODIES:
        for name, task in STUMP_TASKS.items():
            path = out / f"stump_tracks_{body}_{name}.png"
            iio.imwrite(path, stump_frame(body, task), optimize=True)
            print(path, f"{path.stat().st_size / 1024:.0f} KB")
    for level in POINT_GATE_LEVELS:
        env = gym.make("teachrl/PointGate-v0", render_mode="rgb_array")
        env.reset(seed=0, options={"task": PointGateEnv.level_task(level)})
        path = out / f"point_gate_level{level}.png"
        iio.imwrite(path, env.render(), optimize=True)
        print(path, f"{path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
