"""Benchmark AGAIN (Meta-ACL) on simulated classroom toy students, against ALP-GMM and Random.

A classroom of toy students (start cube = body type) is trained with ALP-GMM and recorded;
new students are then trained under AGAIN with that classroom, ALP-GMM and Random, and their
% mastered compared at equal episodes (``benchmarks/again.py``). Writes ``<out>.md``,
``<out>.json`` and ``<out>.png``::

    PYTHONPATH=$PWD python scripts/benchmark_again.py --out benchmarks/results/again_simulated
    PYTHONPATH=$PWD python scripts/benchmark_again.py --quick --out /tmp/again   # smoke run
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: benchmarks/

from benchmarks.again import run_again_benchmark, table_markdown, welch_p  # noqa: E402
from students.config import parse_overrides  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-classroom", type=int, default=40, help="classroom students (default 40)")
    p.add_argument("--n-new", type=int, default=8, help="new students, each under every teacher (default 8)")
    p.add_argument("--episodes", type=int, default=100_000, help="episodes per student (default 100k)")
    p.add_argument("--pretest-episodes", type=int, default=10_000,
                   help="ALP-GMM episodes before AGAIN's pre-test; the classroom's KC period (default 10k, [MA] toy epoch)")
    p.add_argument("--eval-every", type=int, default=5_000, help="%% mastered measured every N episodes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start-cubes", type=int, nargs="*", default=None,
                   help="student types to draw from (start cube indices); default: all 400 cubes")
    p.add_argument("--n-types", type=int, default=None,
                   help="draw this many start cubes as the population's types (bodies); default: every cube")
    p.add_argument("--replay", default="R", help="AGAIN's replay variant: R, T or P (default R)")
    p.add_argument(
        "--expert-selection", default="knn", choices=("knn", "random", "ground_truth"),
        help="how AGAIN picks its expert: by KC vector (default), at random ([MA] -re) or by the new "
        "student's type ([MA] -gt)",
    )
    p.add_argument(
        "--alp-random-ratio", type=float, default=None,
        help="ALP-GMM's uniform share for the classroom and the ALP-GMM baseline (default: its "
        "default, 0.2; [MA]'s toy runs: 0.1)",
    )
    p.add_argument(
        "--again-params", action="append", default=None, metavar="K=V",
        help="any other AGAIN parameter, e.g. r_patience=1000 (repeatable; the value is YAML)",
    )
    p.add_argument("--quick", action="store_true", help="a smoke run: 4 classroom students, 2 new, 20k episodes")
    p.add_argument("--out", required=True, help="output path without extension")
    return p


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.asarray(result["episodes"])
    for name, color in (("again", "tab:green"), ("alp-gmm", "tab:blue"), ("random", "tab:gray")):
        c = np.asarray(result["curves"][name])
        m, s = c.mean(0), c.std(0)
        ax.plot(x, m, color=color, label=f"{name} (n={len(c)})")
        ax.fill_between(x, m - s, m + s, color=color, alpha=0.2)
    ax.set_xlabel("episodes")
    ax.set_ylabel("% mastered cubes")
    ax.set_title("New toy students: AGAIN vs ALP-GMM vs Random (mean ± std)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report_markdown(result: dict, png: str) -> str:
    """The committed report: command, setup, final table, AGAIN / ALP-GMM at every evaluation."""
    import numpy as np

    c = result["config"]
    cur = {k: np.asarray(v) for k, v in result["curves"].items()}
    rows = ["| episodes | AGAIN | ALP-GMM | Random | AGAIN / ALP-GMM | Welch p |", "|---|---|---|---|---|---|"]
    for i, e in enumerate(result["episodes"]):
        if e == 0:
            continue
        a, b, r = cur["again"][:, i], cur["alp-gmm"][:, i], cur["random"][:, i]
        p = welch_p(a, b)
        ratio = a.mean() / b.mean() if b.mean() > 0 else float("nan")
        rows.append(f"| {e} | {a.mean():.1f} | {b.mean():.1f} | {r.mean():.1f} | {ratio:.2f} | {p:.2g} |")
    matched = sum(
        e is not None and e.endswith(f"cube{t['start_cube']}") for e, t in zip(result["experts"], result["new_types"], strict=True)
    )
    return f"""# AGAIN on simulated classroom students (Meta-ACL toy env)

Command (one core, {result['wall_seconds'] / 60:.1f} min wall on a shared machine):

    PYTHONPATH=$PWD {result['command']}

Setup: Meta-ACL's toy student (`students/simulated/classroom_toy.py`: 20 × 20 cubes, +1
competence per episode on a learnable cube, a cube is learnable if it is the start cube or a
4-neighbour has competence ≥ 75, mastered > 75). A student's type (its body) is its start
cube; types: {c['start_cubes'] if c['start_cubes'] is not None else 'all 400 cubes'}.
Classroom: {c['n_classroom']} students trained with ALP-GMM ({c.get('alp_params') or 'defaults'}) for {c['episodes']} episodes
({result['classroom']['kept']} kept: with a Gaussian of mean ALP > 0.2), KC vectors (the
400 cube scores) every {c['pretest_episodes']} episodes. New students: {c['n_new']}, each
trained under AGAIN ({c['again_params']}), ALP-GMM (as the classroom's) and Random (seed per student), for
{c['episodes']} episodes. The expert AGAIN chose had the new student's type for
{matched} of {c['n_new']} new students.

## Final % mastered (episode {c['episodes']})

{table_markdown(result)}

## At every evaluation

{chr(10).join(rows)}

![curves]({png})
"""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        again_params = {"replay": args.replay, "expert_selection": args.expert_selection,
                        **parse_overrides(args.again_params, "--again-params")}  # fmt: skip
    except ValueError as err:
        parser.error(str(err))
    if args.quick:
        args.n_classroom, args.n_new, args.episodes, args.pretest_episodes, args.eval_every = 4, 2, 20_000, 5_000, 5_000
    t0 = time.time()
    result = run_again_benchmark(
        args.n_classroom, args.n_new, args.episodes, args.pretest_episodes, args.eval_every, args.seed,
        args.start_cubes,
        again_params,
        log=lambda m: print(m, flush=True), n_types=args.n_types,
        alp_params=None if args.alp_random_ratio is None else {"random_task_ratio": args.alp_random_ratio},
    )
    result["wall_seconds"] = time.time() - t0
    result["machine"] = platform.platform()
    result["command"] = "python scripts/benchmark_again.py " + " ".join(sys.argv[1:] if argv is None else argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    plot(result, out.with_suffix(".png"))
    table = table_markdown(result)
    out.with_suffix(".md").write_text(report_markdown(result, out.with_suffix(".png").name))
    print(table)
    print(f"{result['wall_seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
