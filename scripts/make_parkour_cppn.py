"""Write Parkour's CPPN weights (``envs/parkour/data/cppn_weights.npz``) and a preview of the terrains.

The weights are TeachMyAgent's initialiser (a truncated normal), with std 1 instead of TeachMyAgent's 2 (std 2
gives cliffs of several metres per terrain step: unwalkable), drawn from ``--seed``;
the shipped file was made with the defaults::

    python scripts/make_parkour_cppn.py --seed 5 --std 1.0 --preview docs/img/parkour/cppn_terrains.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

from envs.parkour.cppn import WEIGHTS_PATH, make_weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--std", type=float, default=1.0)
    parser.add_argument("--out", default=str(WEIGHTS_PATH))
    parser.add_argument("--preview", default=None, help="PNG of ground/ceiling for corner inputs")
    args = parser.parse_args()
    weights = make_weights(args.seed, args.std)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **{f"w{i}": w.astype(np.float32) for i, w in enumerate(weights)})
    print(f"wrote {out}")
    if args.preview:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from envs.parkour.terrain import INPUT_HIGH, INPUT_LOW, ParkourTerrain, make_profile

        fig, axes = plt.subplots(3, 3, figsize=(12, 7), sharex=True)
        rng = np.random.default_rng(0)
        inputs = [INPUT_LOW, INPUT_HIGH, (INPUT_LOW + INPUT_HIGH) / 2] + [
            rng.uniform(INPUT_LOW, INPUT_HIGH) for _ in range(6)
        ]
        for ax, v in zip(axes.flat, inputs, strict=True):
            profile: ParkourTerrain = make_profile(np.asarray(v))
            ax.fill_between(profile.x, profile.ground - 5, profile.ground, color=(0.4, 0.6, 0.3))
            ax.fill_between(profile.x, profile.ceiling, profile.ceiling + 5, color=(0.5, 0.5, 0.5))
            ax.set_title(np.array2string(np.asarray(v), precision=2), fontsize=8)
        fig.tight_layout()
        Path(args.preview).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.preview, dpi=80)
        print(f"wrote {args.preview}")


if __name__ == "__main__":
    main()
