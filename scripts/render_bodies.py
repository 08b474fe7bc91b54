"""Render a frame of every body (docs/img/bodies/<name>.png) on flat ground.

    PYTHONPATH=$PWD python scripts/render_bodies.py [--out docs/img/bodies]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import imageio.v3 as iio

from envs.bodies import body_names
from envs.walker.render import body_portrait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs/img/bodies")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in body_names():
        path = out / f"{name}.png"
        iio.imwrite(path, body_portrait(name))
        print(path)


if __name__ == "__main__":
    main()
