"""Benchmark the bandit teachers (UCB/DUMP, SEC, PLR, LP, learnability) against uniform sampling.

On the simulated bandit students of ``students/simulated/bandits.py`` (learnable,
unlearnable and already-mastered arms), 5 seeds each, it measures the share of
post-warm-up samples on learnable, not yet mastered arms and the episodes needed to master
every learnable arm. Writes ``<out>.json`` and ``<out>.md``::

    PYTHONPATH=$PWD python scripts/benchmark_bandits.py             # ~4 min on 1 core
    PYTHONPATH=$PWD python scripts/benchmark_bandits.py --quick     # smoke run
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: benchmarks/

from benchmarks.simulated import bandit_table_markdown, benchmark_bandit_teachers  # noqa: E402

TEACHERS = ["random", "ucb", "sec", "plr", "lp", "learnability"]
# (title, student, student params, teacher names, teacher params)
SETTINGS = [
    ("Defaults: `bandit` student (8 learnable, 8 unlearnable, 8 mastered arms), |A| / std of the "
     "last 64 advantages (`advantage_norm=\"batch\"`), published teacher defaults",
     "bandit", {}, TEACHERS, {}),
    ("Raw |A| in reward units (`advantage_norm=\"none\"`, the signal in [0, 1]), teacher defaults",
     "bandit", {"advantage_norm": "none"}, ["random", "ucb", "sec"], {}),
    ("Lower temperatures, normalized signal", "bandit", {}, ["random", "ucb", "sec"],
     {"ucb": {"temperature": 0.05}, "sec": {"temperature": 0.2}}),
    ("Binned Box: `bandit-box` student (Box [0,1]², 4×4 cells = arms), teachers with `bins=4`",
     "bandit-box", {}, TEACHERS, {}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="runs per teacher (seeds 0..n-1)")
    parser.add_argument("--episodes", type=int, default=20_000, help="episode budget per run")
    parser.add_argument("--warmup", type=int, default=500, help="episodes before counting samples")
    parser.add_argument("--out", default="benchmarks/results/bandits", help="output path without suffix")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 3000 episodes (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.episodes = 2, 3000
    seeds = list(range(args.seeds))
    results, sections = [], []
    for title, student, student_params, names, teacher_params in SETTINGS:
        start = time.perf_counter()
        rows = benchmark_bandit_teachers(
            names, seeds, args.episodes, args.warmup, student, student_params, teacher_params
        )
        elapsed = time.perf_counter() - start
        print(f"{title} ({elapsed:.0f} s)\n{bandit_table_markdown(rows)}\n", flush=True)
        results.append({"title": title, "student": student, "student_params": student_params, "rows": rows})
        sections.append(f"### {title}\n\n{bandit_table_markdown(rows)}\n")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"seeds": seeds, "episodes": args.episodes, "warmup": args.warmup, "python": platform.python_version()}
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "settings": results}, indent=1))
    header = (
        f"# Bandit teachers on simulated bandit students\n\n"
        f"`python scripts/benchmark_bandits.py` — {len(seeds)} seeds, {args.episodes} episodes per run, "
        f"warm-up {args.warmup}. *Frontier fraction*: share of post-warm-up samples on learnable, not yet "
        f"mastered arms (counted while any remain). *Episodes to master*: until every learnable arm reaches "
        f"competence 0.9 (runs that never do count as the budget). `random` is uniform sampling.\n"
    )
    out.with_suffix(".md").write_text(header + "\n" + "\n".join(sections))
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
