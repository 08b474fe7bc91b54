"""Benchmark teachers on simulated students: teachers × students × seeds, no RL.

Writes to ``--out`` (default ``benchmarks/results/teachers/``):

- ``results.json``: every run's learning curve (% mastered vs episodes) and teacher time;
  it and ``results.md`` are rewritten after every run (``"complete": false`` and a
  "Partial" note until the last one), so a benchmark cut short keeps what finished;
- ``results.md``: the command that wrote it, then % mastered at a few checkpoints, mean ± std
  over seeds, the ratio to Random at the end, and each teacher's own time per episode
  (``sample`` + ``update`` only);
- ``curves.png``: learning curves, mean ± std, one panel per student.

Students are the grid students of :data:`students.simulated.STUDENTS` and the bandit students
of :data:`students.simulated.BANDIT_STUDENTS` (``bandit``: ``Discrete(24)`` with
learnable, unlearnable and mastered arms; ``bandit-box``: the same behind a binned Box). For
bandit students ``results.md`` adds a table of the share of post-warm-up samples on
learnable, not yet mastered arms and the episodes needed to master every learnable arm;
``lp`` and ``learnability`` are fed successes, the other teachers the batch-normalized
|advantage| score::

    python scripts/benchmark_teachers.py --teachers random ucb sec plr lp learnability --students bandit

Example (the table in docs/results.md)::

    python scripts/benchmark_teachers.py --teachers random riac adr --students grid \\
        --seeds 0 1 2 3 4 --episodes 20000

Teachers are built with ``teachers.make`` by name, so any registered teacher works. Teacher
parameters come from ``--params NAME='{"key": value}'`` on top of :data:`DEFAULT_PARAMS`; a
teacher with an ``initial_task`` parameter (ADR) is given the student's ``easy_task`` unless
one is passed (expert knowledge ADR requires: it grows from a feasible point).

A teacher entry ``NAME@LABEL`` is a second configuration of ``NAME`` with its own table row:
its parameters are ``NAME``'s with ``--params NAME@LABEL=...`` on top, e.g. ALP-GMM with a
bounded ALP memory next to the default one::

    python scripts/benchmark_teachers.py --teachers random alp-gmm alp-gmm@mem100 \\
        --params 'alp-gmm@mem100={"alp_max_size": 100}' --students grid

``--expert-knowledge low|high`` fills teacher parameters from what the student declares
(:mod:`students.expert`: the score range; at ``high`` also the easy-task distribution, e.g.
ALP-GMM's bootstrap and SPDL's start); ``--params`` win over them.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: benchmarks/

import teachers  # noqa: E402
from benchmarks.simulated import (  # noqa: E402
    TEACHER_SIGNALS,
    add_ratio_to_random,
    bandit_table_markdown,
    bandit_teacher_params,
    summarize_bandit_runs,
)
from students.expert import EXPERT_LEVELS, expert_teacher_params  # noqa: E402
from students.simulated import (  # noqa: E402
    BANDIT_STUDENTS,
    STUDENTS,
    BanditStudent,
    run_bandit_episodes,
    simulate,
)

#: Every simulated student by name: grid students and bandit students.
ALL_STUDENTS = {**STUDENTS, **BANDIT_STUDENTS}

#: Parameters the benchmark passes unless ``--params`` overrides them. ADR's thresholds are
#: required and in score units: the grid students score their competence in [0, 1] (+ noise),
#: so a bound widens once its tasks average ≥ 0.5 and shrinks when they average ≤ 0.1.
#: CURROT's δ and SPDL's ``perf_lb`` are in score (SPDL: value) units too: 0.5, the competence
#: at which ADR widens. SPDL's schedule is in env steps; the grid students report 100 steps
#: per episode, so 20k episodes are 2M steps, and an update every 5,000 steps after 20,000
#: gives SPDL as many updates per run (about 400) as TeachMyAgent's 50,000 / 200,000 over its
#: 20M-step runs.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "adr": {"max_reward_thr": 0.5, "min_reward_thr": 0.1},
    "currot": {"delta": 0.5},
    "spdl": {"perf_lb": 0.5, "update_frequency": 5000, "update_offset": 20000},
}


def teacher_entry(entry: str) -> str:
    """The registered teacher name of a ``--teachers`` entry (``NAME`` or ``NAME@LABEL``).

    :raises ValueError: for an empty name or label.
    """
    name, sep, label = entry.partition("@")
    if not name or (sep and not label):
        raise ValueError(f"a teacher entry is NAME or NAME@LABEL, got {entry!r}")
    return name


def run_one(job: tuple) -> dict[str, Any]:
    """One (teacher, student, seed) run; returns its curve and timings (and, for bandit
    students, the frontier measures of :func:`run_bandit_episodes`). ``job`` is ``(teacher,
    params, student, seed, episodes, eval_every, warmup[, expert_knowledge])``; its teacher is
    a ``--teachers`` entry, and the result's ``teacher`` is that entry (its row label)."""
    entry, params, student_name, seed, episodes, eval_every, warmup, *rest = job
    teacher_name = teacher_entry(entry)
    expert = rest[0] if rest else "none"
    student = ALL_STUDENTS[student_name](seed=seed)
    declared = getattr(student, "expert_knowledge", None)
    params = {**expert_teacher_params(teachers.get_class(teacher_name), declared, expert), **params}
    if "initial_task" in teachers.get_class(teacher_name)._param_names() and "initial_task" not in params:
        easy = getattr(student, "easy_task", None)
        if easy is not None:
            params["initial_task"] = np.asarray(easy).tolist()
    if isinstance(student, BanditStudent):
        params = bandit_teacher_params(teacher_name, student, params)
    teacher = teachers.make(teacher_name, student.task_space, seed=seed, **params)
    start = time.perf_counter()
    if isinstance(student, BanditStudent):
        signal = TEACHER_SIGNALS.get(teacher_name, "advantage")
        result = run_bandit_episodes(teacher, student, episodes, warmup, signal, eval_every)
    else:
        result = simulate(teacher, student, episodes, eval_every)
    result.update(
        teacher=entry,
        teacher_name=teacher_name,
        student=student_name,
        seed=seed,
        params=params,
        wall_seconds=time.perf_counter() - start,
        teacher_us_per_episode=1e6 * result["teacher_seconds"] / max(episodes, 1),
    )
    return result


def _stats(runs: list[dict[str, Any]], index: int) -> tuple[float, float]:
    values = np.array([r["mastered_pct"][index] for r in runs])
    return float(values.mean()), float(values.std())


def markdown_table(results: list[dict[str, Any]], n_checkpoints: int = 4) -> str:
    """% mastered (mean ± std over seeds) at ``n_checkpoints`` evenly spaced points."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault((r["student"], r["teacher"]), []).append(r)
    episodes = results[0]["episodes"]
    idx = sorted({max(1, round(k * (len(episodes) - 1) / n_checkpoints)) for k in range(1, n_checkpoints + 1)})
    head = ["student", "teacher", "seeds"] + [f"{episodes[i]} ep." for i in idx] + ["× Random (end)", "teacher µs/episode"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (student, teacher), runs in sorted(groups.items()):
        cells = [student, teacher, str(len(runs))]
        cells += ["{:.1f} ± {:.1f}".format(*_stats(runs, i)) for i in idx]
        random_runs = groups.get((student, "random"))
        if random_runs:
            base = _stats(random_runs, -1)[0]
            cells.append(f"{_stats(runs, -1)[0] / base:.1f}" if base > 0 else "inf")
        else:
            cells.append("n/a")
        us = np.array([r["teacher_us_per_episode"] for r in runs])
        cells.append(f"{us.mean():.1f} ± {us.std():.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def bandit_tables(results: list[dict[str, Any]]) -> str:
    """Per bandit student, the frontier table of :func:`bandit_table_markdown` ("" if none)."""
    out = []
    for student in sorted({r["student"] for r in results if "frontier_fraction" in r}):
        runs = [r for r in results if r["student"] == student]
        names = list(dict.fromkeys(r["teacher"] for r in runs))  # command-line order
        rows = [
            summarize_bandit_runs(t, next(r["params"] for r in runs if r["teacher"] == t),
                                  [r for r in runs if r["teacher"] == t], runs[0]["episodes"][-1])
            for t in names
        ]
        out.append(f"\n### {student}: samples on the learnable frontier\n\n{bandit_table_markdown(add_ratio_to_random(rows))}\n")
    return "".join(out)


def plot_curves(results: list[dict[str, Any]], path: Path) -> None:
    """Learning curves (mean ± std over seeds), one panel per student."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    students = sorted({r["student"] for r in results})
    ncols = min(4, len(students))
    nrows = -(-len(students) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.5 * ncols, 3.6 * nrows), squeeze=False)
    for ax in axes.flat[len(students):]:
        ax.set_visible(False)
    for ax, student in zip(axes.flat, students, strict=False):
        for teacher in sorted({r["teacher"] for r in results if r["student"] == student}):
            runs = [r for r in results if r["student"] == student and r["teacher"] == teacher]
            x = np.array(runs[0]["episodes"])
            y = np.array([r["mastered_pct"] for r in runs])
            mean, std = y.mean(axis=0), y.std(axis=0)
            ax.plot(x, mean, label=teacher)
            ax.fill_between(x, mean - std, mean + std, alpha=0.2)
        ax.set_title(student)
        ax.set_xlabel("episodes")
        ax.set_ylabel("% mastered")
        ax.set_ylim(0, 100)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _parse_params(items: list[str]) -> dict[str, dict[str, Any]]:
    params = {k: dict(v) for k, v in DEFAULT_PARAMS.items()}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep:
            raise SystemExit(f"--params expects NAME=JSON, got {item!r}")
        value = json.loads(text)
        if not isinstance(value, dict):
            raise SystemExit(f"--params {name}: expected a JSON object, got {text!r}")
        params.setdefault(name, {}).update(value)
    return params


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teachers", nargs="+", default=["random", "riac", "adr"])
    parser.add_argument("--students", nargs="+", default=["grid"], choices=sorted(ALL_STUDENTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--episodes", type=int, default=20000)
    parser.add_argument("--eval-every", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=500, help="bandit students: episodes before counting samples")
    parser.add_argument("--params", nargs="*", default=[], metavar="NAME=JSON", help="teacher parameters")
    parser.add_argument("--expert-knowledge", default="none", choices=EXPERT_LEVELS,
                        help="fill teacher parameters from the student's declared knowledge")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/teachers"))
    args = parser.parse_args(argv)
    params = _parse_params(args.params)
    entry_params = {}
    for entry in args.teachers:
        try:
            name = teacher_entry(entry)
        except ValueError as err:
            raise SystemExit(f"--teachers: {err}") from None
        teachers.get_class(name)  # fail fast on unknown names
        entry_params[entry] = {**params.get(name, {}), **(params.get(entry, {}) if entry != name else {})}
    jobs = [
        (t, entry_params[t], s, seed, args.episodes, args.eval_every, args.warmup, args.expert_knowledge)
        for s in args.students
        for t in args.teachers
        for seed in args.seeds
    ]
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    args.out.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["python", "scripts/benchmark_teachers.py", *(sys.argv[1:] if argv is None else argv)])
    results: list[dict[str, Any]] = []

    def write(done: bool) -> str:
        """results.json and results.md of the runs finished so far (``done``: all of them)."""
        data = {"args": {**vars(args), "out": str(args.out)}, "complete": done, "n_jobs": len(jobs), "runs": results}
        (args.out / "results.json").write_text(json.dumps(data, indent=1))
        table = markdown_table(results) + bandit_tables(results)
        status = "" if done else f" Partial: {len(results)} of {len(jobs)} runs finished."
        (args.out / "results.md").write_text(f"Written by `{command}`.{status}\n\n{table}")
        return table

    # Results are written after every run, so a long benchmark cut short leaves what finished.
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            for result in pool.map(run_one, jobs):
                results.append(result)
                write(False)
    else:
        for job in jobs:
            results.append(run_one(job))
            write(False)
    table = write(True)
    plot_curves(results, args.out / "curves.png")
    print(table)
    print(f"wrote {args.out}/results.json, results.md, curves.png")


if __name__ == "__main__":
    main()
