"""Run a sweep of teachers × envs × seeds from a config file (see ``students/experiments/sweep.py``).

    python scripts/sweep.py configs/sweeps/tiny.yaml                    # local pool
    python scripts/sweep.py configs/sweeps/tiny.yaml --backend ray      # local Ray
    python scripts/sweep.py CONFIG --backend ray --address ray://head:10001   # a cluster
    python scripts/sweep.py CONFIG --dry-run                            # the plan only

Re-running skips finished runs and resumes interrupted ones. Exits with status 1 if a run failed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, os.getcwd())  # as train.py: `module:Class` teachers and `module:Id` envs of the cwd

from students.experiments.sweep import (  # noqa: E402
    BACKENDS,
    PYTHON,
    SweepConfig,
    build_command,
    check_backend,
    check_registries,
    run_sweep,
)
from students.run_dir import run_status  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="sweep config (YAML)")
    p.add_argument("--backend", choices=BACKENDS, default="local")
    p.add_argument("--workers", type=int, default=None, help="parallel runs (default: number of cores)")
    p.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--cpus-per-run", type=float, default=1.0, help="Ray CPUs reserved by each run")
    p.add_argument("--output-root", default=None, help="override the config's output_root")
    p.add_argument("--train-script", default=None, help="trainer script (default: scripts/train.py)")
    p.add_argument("--no-check", action="store_true", help="skip checking teacher/env names against the registries")
    p.add_argument("--dry-run", action="store_true", help="print each run's status and command, run nothing")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        return _main(args)
    except ValueError as err:  # bad config, unknown names, missing Ray: one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2


def _main(args: argparse.Namespace) -> int:
    check_backend(args.backend)
    config = SweepConfig.from_yaml(args.config)
    if args.output_root:
        config.output_root = Path(args.output_root).expanduser().resolve()
    if args.train_script:
        config.train_command = (PYTHON, str(Path(args.train_script).expanduser().resolve()))
    if not args.no_check:
        check_registries(config)
    if args.dry_run:
        for spec in config.expand():
            status = run_status(spec.run_dir)
            cmd = build_command(spec, config.train_command, Path.cwd(), resume=status == "interrupted")
            print(f"{status:<11} {spec.name}\n    {shlex.join(cmd)}")
        return 0
    summary = run_sweep(
        config, backend=args.backend, workers=args.workers, address=args.address, cpus_per_run=args.cpus_per_run
    )
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
