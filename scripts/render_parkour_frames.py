"""Frames of Parkour with every body and of Hexagon Tracks, for the docs (``docs/img/parkour/``).

Each body on a Parkour task of its kind after 40 steps with its motors still (climbers holding
on), then a mosaic of them::

    python scripts/render_parkour_frames.py --out docs/img/parkour
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

from envs.bodies import BODIES, body_names  # noqa: E402
from envs.hexagon_tracks import HexagonTracksEnv  # noqa: E402
from envs.parkour.env import ParkourEnv  # noqa: E402

#: A task per kind: CPPN input, water level, creeper height, creeper spacing.
TASKS = {
    "walker": [-0.3, 0.9, 0.25, 0.0, 0.0, 5.0],
    "amphibian": [-0.3, 0.9, 0.25, 0.86, 0.0, 5.0],
    "climber": [-0.3, 0.9, 0.25, 0.0, 2.5, 1.0],
    "swimmer": [-0.3, 0.9, 0.25, 1.0, 1.5, 2.0],
}
STEPS = 40


def frame(env, hold: int = 0) -> np.ndarray:
    env.reset(seed=0)
    action = np.zeros(env.action_space.shape, np.float32)
    if hold:
        action[-hold:] = 1.0
    for _ in range(STEPS):
        env.step(action)
    return env.render()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs/img/parkour")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frames = {}
    for name in body_names():
        kind = BODIES[name].kind
        env = ParkourEnv(body=name, task=TASKS[kind], render_mode="rgb_array")
        frames[name] = frame(env, hold=len(BODIES[name].sensors))
        plt.imsave(out / f"parkour_{name}.png", frames[name])
    hexagon = HexagonTracksEnv(task=[0, 0, 0, 1, 0.5, 1.5, 1, 1.5, 2, 1, 2, 0], render_mode="rgb_array")
    plt.imsave(out / "hexagon_tracks_big_quadru.png", frame(hexagon))
    names = list(frames)
    cols = 4
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.9 * rows))
    for ax in axes.flat:
        ax.axis("off")
    for ax, name in zip(axes.flat, names, strict=False):
        ax.imshow(frames[name])
        ax.set_title(f"{name} ({BODIES[name].kind})", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "parkour_bodies.png", dpi=70)
    print(f"wrote {len(names) + 2} images to {out}")


if __name__ == "__main__":
    main()
