"""Steps/s of Stump Tracks with every walker body against BipedalWalker-v3, in the same run.

Goal: every walker on Stump Tracks >= 1.0x BipedalWalker-v3 (random actions, resets included).

    PYTHONPATH=$PWD python scripts/benchmark_bodies.py [--steps 3000] [--rounds 5] [--out benchmarks/results/bodies_speed]

Writes ``<out>.json`` and ``<out>.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import gymnasium as gym

import envs  # noqa: F401  (registers the envs)
from envs.benchmark import benchmark, profile_share, to_markdown
from envs.bodies import BODIES, body_names

STUMP_TASK = [1.0, 3.0]
BASELINE = "BipedalWalker-v3"
BOX2D_STEP = "<built-in method Box2D._Box2D.b2World_Step>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000, help="env steps per round and case")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/results/bodies_speed", help="output path without suffix")
    args = parser.parse_args()

    walkers = body_names("walker")
    cases = [(BASELINE, BASELINE, {}, False)] + [
        (f"StumpTracks-{b}", "teachrl/StumpTracks-v0", {"body": b, "task": STUMP_TASK}, False) for b in walkers
    ]
    results = benchmark(cases, args.steps, args.rounds)
    step_only = benchmark(cases, args.steps, args.rounds, include_resets=False)
    results.update({f"{label} (steps only)": r for label, r in step_only.items()})
    base = results[BASELINE]["steps_per_s"]
    base_steps = results[f"{BASELINE} (steps only)"]["steps_per_s"]
    ratios = {}
    for b in walkers:
        parts = len(BODIES[b].parts)
        ratios[f"StumpTracks-{b} ({parts} parts) / {BASELINE} (goal >= 1.0)"] = (
            results[f"StumpTracks-{b}"]["steps_per_s"] / base)
    for b in walkers:
        ratios[f"StumpTracks-{b} / {BASELINE}, steps only"] = (
            results[f"StumpTracks-{b} (steps only)"]["steps_per_s"] / base_steps)
    # Why a case is slow: Box2D's physics step against the rest (Python: lidars, observation, resets).
    profile_rows = ["", "Time in Box2D's `world.Step` (cProfile, one run of the same steps; the profiler inflates",
                    "the Python side, not the C step):", "",
                    "| env | Box2D parts | world.Step ms/step | share of the time | episodes ended |",
                    "|---|---:|---:|---:|---:|"]
    profiles = {}
    for label, env_id, kwargs, _ in cases:
        profiles[label] = p = profile_share(gym.make(env_id, **kwargs), args.steps, BOX2D_STEP)
        parts = len(BODIES[kwargs["body"]].parts) if "body" in kwargs else 5
        profile_rows.append(f"| {label} | {parts} | {p['ms_per_step']:.3f} | {p['share']:.0%} | {p['episodes']} |")
    command = "PYTHONPATH=$PWD python " + " ".join(["scripts/benchmark_bodies.py", *sys.argv[1:]])
    header = (
        f"# Stump Tracks speed with every walker body\n\nCommand: `{command}` (run through `/work/bin/heavy`).\n\n"
        f"One process, uniformly random actions, median of {args.rounds} interleaved rounds of {args.steps} steps "
        f"per case, resets included (random walkers fall often); \"steps only\" rows leave the resets' time out. "
        f"Stump Tracks task {STUMP_TASK}; {BASELINE} (5 Box2D bodies) is measured in the same run. "
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}."
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"command": command, "results": results, "ratios": ratios, "profiles": profiles},
                                                   indent=2))
    markdown = to_markdown(results, ratios, header) + "\n".join(profile_rows) + "\n"
    out.with_suffix(".md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
