"""Build a Meta-ACL classroom file for the AGAIN teacher from ALP-GMM run directories.

Each path is a run directory or a folder holding runs (a sweep folder). Every run must be an
ALP-GMM run on the same task space and test set, with evaluations and teacher snapshots; a
run that is not is refused, named, and no file is written::

    python scripts/build_classroom.py runs/sweeps/classroom --out classroom.json
    python scripts/train.py --teacher again --teacher-params classroom=classroom.json

The format is :mod:`teachers.classroom`'s (JSON, versioned); the logic is
:func:`students.classroom.build_classroom`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from students.classroom import build_classroom  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", help="run directories or folders holding them")
    p.add_argument("--out", required=True, help="the classroom file to write (JSON)")
    p.add_argument("--alp-threshold", type=float, default=0.2,
                   help="a run joins only with a Gaussian of mean ALP above this (default 0.2, Meta-ACL)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        room = build_classroom(args.runs, args.out, alp_threshold=args.alp_threshold)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Classroom of {len(room)} students ({len(room.pretest_tasks)} pre-test tasks) in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
