"""Benchmark runners over the simulated students: many seeds, one table row per teacher.

Used by ``scripts/benchmark_teachers.py`` and ``scripts/benchmark_bandits.py``; the students
and the single-run measures are in :mod:`students.simulated`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from students.simulated.bandits import (
    BANDIT_STUDENTS,
    BanditStudent,
    BoxBanditStudent,
    run_bandit_episodes,
)
from teachers.registry import get_class
from teachers.registry import make as make_teacher

__all__ = [
    "TEACHER_SIGNALS",
    "add_ratio_to_random",
    "bandit_table_markdown",
    "bandit_teacher_params",
    "benchmark_bandit_teachers",
    "summarize_bandit_runs",
]


#: Signal each teacher is fed in :func:`benchmark_bandit_teachers` (default: advantage).
TEACHER_SIGNALS = {"lp": "success", "learnability": "success"}


def benchmark_bandit_teachers(
    teacher_names: list[str],
    seeds: list[int],
    n_episodes: int = 20_000,
    warmup: int = 500,
    student: str = "bandit",
    student_params: dict[str, Any] | None = None,
    teacher_params: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Run every teacher on the same seeded students; one summary row per teacher.

    Seed ``s`` builds the student and the teacher with seed ``s``, so every teacher faces the
    same arms (see :func:`summarize_bandit_runs` for the row).

    :param teacher_names: registered teacher names (``"random"`` is the baseline).
    :param seeds: one run per seed and teacher.
    :param n_episodes: episode budget per run.
    :param warmup: episodes excluded from the frontier fraction.
    :param student: a key of :data:`BANDIT_STUDENTS`.
    :param student_params: keyword arguments of the student.
    :param teacher_params: per teacher name, keyword arguments of the teacher.
    """
    if student not in BANDIT_STUDENTS:
        raise ValueError(f"unknown bandit student {student!r}; available: {sorted(BANDIT_STUDENTS)}")
    rows = []
    for name in teacher_names:
        params = dict((teacher_params or {}).get(name, {}))
        runs = []
        for seed in seeds:
            st = BANDIT_STUDENTS[student](seed=seed, **(student_params or {}))
            params = bandit_teacher_params(name, st, params)
            teacher = make_teacher(name, st.task_space, seed=seed, **params)
            runs.append(run_bandit_episodes(teacher, st, n_episodes, warmup, TEACHER_SIGNALS.get(name, "advantage")))
        rows.append(summarize_bandit_runs(name, params, runs, n_episodes))
    return add_ratio_to_random(rows)


def bandit_teacher_params(name: str, student: BanditStudent, params: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``params`` for teacher ``name`` on ``student``: on a :class:`BoxBanditStudent`,
    a teacher that takes ``bins`` gets ``bins=student.grid`` unless given, so its arms are the
    student's cells."""
    params = dict(params)
    if isinstance(student, BoxBanditStudent) and "bins" in get_class(name)._param_names():
        params.setdefault("bins", student.grid)
    return params


def summarize_bandit_runs(
    teacher: str, params: dict[str, Any], runs: list[dict[str, Any]], n_episodes: int
) -> dict[str, Any]:
    """One table row from the :func:`run_bandit_episodes` results of one teacher's seeds.

    Episodes-to-master of a run that does not master within ``n_episodes`` count as
    ``n_episodes`` in the mean (a lower bound) and are reported in ``n_mastered``.
    """
    fractions = [r["frontier_fraction"] for r in runs if r["frontier_fraction"] is not None]
    early = [r["frontier_fraction_early"] for r in runs if r["frontier_fraction_early"] is not None]
    to_master = [r["episodes_to_master"] or n_episodes for r in runs]
    return {
        "teacher": teacher,
        "params": params,
        "signal": "none" if teacher == "random" else TEACHER_SIGNALS.get(teacher, "advantage"),
        "frontier_fraction": float(np.mean(fractions)) if fractions else None,
        "frontier_fraction_std": float(np.std(fractions)) if fractions else None,
        "frontier_fraction_early": float(np.mean(early)) if early else None,
        "episodes_to_master": float(np.mean(to_master)),
        "episodes_to_master_std": float(np.std(to_master)),
        "n_mastered": sum(r["episodes_to_master"] is not None for r in runs),
        "per_seed": [
            {k: r[k] for k in ("frontier_fraction", "frontier_fraction_early", "episodes_to_master")} for r in runs
        ],
    }


def add_ratio_to_random(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set each row's ``master_ratio_vs_random`` (episodes to master / random's; ``None`` without random)."""
    base = next((r for r in rows if r["teacher"] == "random"), None)
    for r in rows:
        r["master_ratio_vs_random"] = r["episodes_to_master"] / base["episodes_to_master"] if base else None
    return rows


def bandit_table_markdown(rows: list[dict[str, Any]]) -> str:
    """The rows of :func:`benchmark_bandit_teachers` as a markdown table."""
    lines = [
        "| teacher | params | signal | frontier fraction after warm-up | same, while ≥ half unmastered "
        "| episodes to master all learnable | vs random | runs mastered |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        frac = "n/a" if r["frontier_fraction"] is None else f"{r['frontier_fraction']:.2f} ± {r['frontier_fraction_std']:.2f}"
        early = "n/a" if r["frontier_fraction_early"] is None else f"{r['frontier_fraction_early']:.2f}"
        ratio = "" if r["master_ratio_vs_random"] is None else f"{r['master_ratio_vs_random']:.2f}×"
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items()) or "defaults"
        lines.append(
            f"| {r['teacher']} | {params} | {r['signal']} | {frac} | {early} | "
            f"{r['episodes_to_master']:.0f} ± {r['episodes_to_master_std']:.0f} | {ratio} | "
            f"{r['n_mastered']}/{len(r['per_seed'])} |"
        )
    return "\n".join(lines)
