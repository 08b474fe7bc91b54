"""Regenerate every plot of a run directory (no wandb needed).

    python scripts/plot_run.py RUN_DIR [--out DIR] [--frames N] [--no-gif] [--dims I J]

Writes PNGs and ``curriculum.gif`` (default under ``RUN_DIR/plots/``) and prints each path.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="run directory written by scripts/train.py")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default RUN_DIR/plots)")
    parser.add_argument("--frames", type=int, default=30, help="frames of the curriculum GIF")
    parser.add_argument("--no-gif", action="store_true", help="skip the (slowest) animation")
    parser.add_argument("--dims", type=int, nargs=2, default=(0, 1), metavar=("I", "J"),
                        help="task dimensions drawn in 2-D figures when the task space has d > 2")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    from students.plots import render_run

    written = render_run(args.run_dir, args.out, dims=args.dims, animation=not args.no_gif,
                         n_frames=args.frames)
    for path in written:
        print(path)
    return written


if __name__ == "__main__":
    main()
