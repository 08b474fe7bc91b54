"""Steps/s of Stump Tracks (each body) vs BipedalWalker-v3 in the same run, and of PointGate.

Goals: Stump Tracks >= 0.9x BipedalWalker-v3; PointGate >= 50k steps/s in one process.

    python scripts/benchmark_envs.py [--steps 3000] [--rounds 5] [--out benchmarks/results/envs]

Writes ``<out>.json`` and ``<out>.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import envs  # noqa: F401  (registers the envs)
from envs.benchmark import benchmark, to_markdown

STUMP_TASK = [1.0, 3.0]
BODIES = ("default", "short", "quadruped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000, help="Box2D steps per round and env")
    parser.add_argument("--point-gate-steps", type=int, default=50_000, help="PointGate steps per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/results/envs", help="output path without suffix")
    args = parser.parse_args()

    walkers = [("BipedalWalker-v3", "BipedalWalker-v3", {}, False)] + [
        (f"StumpTracks-{b}", "teachrl/StumpTracks-v0", {"body": b, "task": STUMP_TASK}, False)
        for b in BODIES
    ]
    point_gate = [
        ("PointGate (unwrapped)", "teachrl/PointGate-v0", {}, True),
        ("PointGate (gymnasium.make)", "teachrl/PointGate-v0", {}, False),
    ]
    results = benchmark(walkers, args.steps, args.rounds)
    step_only = benchmark(walkers, args.steps, args.rounds, include_resets=False)
    results.update({f"{label} (steps only)": r for label, r in step_only.items()})
    results.update(benchmark(point_gate, args.point_gate_steps, args.rounds))
    base = results["BipedalWalker-v3"]["steps_per_s"]
    ratios = {f"StumpTracks-{b} / BipedalWalker-v3 (goal >= 0.9)": results[f"StumpTracks-{b}"]["steps_per_s"] / base for b in BODIES}
    for b in BODIES:
        ratios[f"StumpTracks-{b} / BipedalWalker-v3, steps only"] = (
            results[f"StumpTracks-{b} (steps only)"]["steps_per_s"]
            / results["BipedalWalker-v3 (steps only)"]["steps_per_s"]
        )
    ratios["PointGate unwrapped / 50k (goal >= 1)"] = results["PointGate (unwrapped)"]["steps_per_s"] / 50_000
    header = (
        f"# Env throughput\n\nOne process, random actions, median of {args.rounds} interleaved rounds "
        f"({args.steps} Box2D steps / {args.point_gate_steps} PointGate steps per round); "
        f"Stump Tracks task {STUMP_TASK}; \"steps only\" rows leave the resets' time out. Machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}."
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"results": results, "ratios": ratios}, indent=2))
    markdown = to_markdown(results, ratios, header)
    out.with_suffix(".md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
