"""Steps/s of every body on Parkour and Hexagon Tracks vs BipedalWalker-v3, in the same run.

Goal: Parkour >= 0.5x BipedalWalker-v3 (issue #15). Random actions, resets included, median of
interleaved rounds (:func:`envs.benchmark.benchmark`). Each body runs on a Parkour task of its
kind (walkers and amphibians: dry; climbers: creepers, water 0.5; swimmers: water 1), and the
walkers once more with water up to the head (water forces on every part).

    python scripts/benchmark_parkour.py [--steps 2000] [--rounds 3] [--out benchmarks/results/parkour_speed]

Writes ``<out>.json`` and ``<out>.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

import envs  # noqa: E402,F401  (registers the envs)
from envs.benchmark import benchmark, to_markdown  # noqa: E402
from envs.bodies import BODIES, body_names  # noqa: E402

CPPN_MID = [-0.15, 0.8, 0.1]
#: Parkour task per kind of body.
TASKS = {
    "walker": [*CPPN_MID, 0.0, 0.0, 5.0],
    "amphibian": [*CPPN_MID, 0.0, 0.0, 5.0],
    "climber": [*CPPN_MID, 0.5, 2.0, 1.0],
    "swimmer": [*CPPN_MID, 1.0, 0.0, 5.0],
}
WET_TASK = [*CPPN_MID, 0.9, 0.0, 5.0]
HEXAGON_TASK = [1.0] * 12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2000, help="steps per round and env")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/parkour_speed", help="output path without suffix")
    args = parser.parse_args()

    cases = [("BipedalWalker-v3", "BipedalWalker-v3", {}, False)]
    for body in body_names():
        kind = BODIES[body].kind
        cases.append((f"Parkour-{body}", "teachrl/Parkour-v0", {"body": body, "task": TASKS[kind]}, False))
        if kind == "walker":
            cases.append((f"Parkour-{body} (under water)", "teachrl/Parkour-v0", {"body": body, "task": WET_TASK}, False))
    for body in body_names("walker"):
        cases.append((f"HexagonTracks-{body}", "teachrl/HexagonTracks-v0", {"body": body, "task": HEXAGON_TASK}, False))
    results = benchmark(cases, args.steps, args.rounds)
    base = results["BipedalWalker-v3"]["steps_per_s"]
    ratios = {}
    for label, r in results.items():
        if label == "BipedalWalker-v3":
            continue
        goal = " (goal >= 0.5)" if label.startswith("Parkour") else ""
        ratios[f"{label} / BipedalWalker-v3{goal}"] = r["steps_per_s"] / base
    command = f"python scripts/benchmark_parkour.py --steps {args.steps} --rounds {args.rounds} --out {args.out}"
    header = (
        f"# Parkour and Hexagon Tracks throughput\n\nCommand: `{command}` (through `/work/bin/heavy`: one core).\n\n"
        f"One process, random actions, resets included, median of {args.rounds} interleaved rounds of "
        f"{args.steps} steps. Parkour tasks by kind of body: {TASKS}; walkers also under water "
        f"{WET_TASK}; Hexagon Tracks task {HEXAGON_TASK}. Machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared), Python {platform.python_version()}."
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"command": command, "results": results, "ratios": ratios}, indent=2))
    markdown = to_markdown(results, ratios, header)
    out.with_suffix(".md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
