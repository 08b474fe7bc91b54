"""Report a sweep: % mastered tables with Welch's t-tests, learning curves, ratio to Random.

    python scripts/report.py runs/sweeps/tiny                  # writes runs/sweeps/tiny/report/
    python scripts/report.py SWEEP_ROOT --out results/ --baseline random
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from students.experiments.report import write_report  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", help="sweep output root (run directories at any depth below it)")
    p.add_argument("--out", default=None, help="output directory (default: ROOT/report)")
    p.add_argument("--baseline", default="random", help="teacher label the others are tested against")
    p.add_argument("--include-unfinished", action="store_true", help="also use runs without DONE")
    args = p.parse_args(argv)
    path = write_report(args.root, args.out, baseline=args.baseline, include_unfinished=args.include_unfinished)
    print(path.read_text())
    print(f"report written to {path} (figures and summary.json alongside)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
