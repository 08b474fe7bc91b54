"""Write Parkour's test sets (``envs/parkour/data/test_sets/{walking,climbing,swimming}.csv``).

100 tasks each, drawn by :func:`envs.test_sets.make_parkour_test_set` (rules in
``envs.test_sets.PARKOUR_TEST_SET_RULES``); the shipped files were made with::

    python scripts/make_parkour_test_sets.py --seed 0
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

from envs.parkour.env import ParkourEnv
from envs.test_sets import PARKOUR_TEST_SET_RULES, TEST_SETS, make_parkour_test_set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    for i, kind in enumerate(PARKOUR_TEST_SET_RULES):
        tasks = make_parkour_test_set(kind, args.n, seed=args.seed + i)
        path = TEST_SETS[f"parkour_{kind}"][1]
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savetxt(path, tasks, delimiter=",", fmt="%.4f", header=",".join(ParkourEnv.task_names), comments="")
        print(f"wrote {path} ({len(tasks)} tasks)")


if __name__ == "__main__":
    main()
