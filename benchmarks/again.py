"""The simulated Meta-ACL benchmark: a classroom of toy students, then new ones under AGAIN.

Used by ``scripts/benchmark_again.py``. The students are
:class:`~students.simulated.classroom_toy.ClassroomToyStudent` (Meta-ACL's toy env; a type =
a start cube). A classroom of students of random types is trained with ALP-GMM and recorded
through :func:`students.classroom.classroom_student` (the same entries a run directory
gives); then new students of random types are trained under AGAIN (with that classroom),
ALP-GMM and Random, each new student seeing the three teachers, and their % mastered is
compared at equal episodes (ratios of means and Welch's t-test, scipy).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from students.classroom import classroom_student
from students.experiments.report import welch_test
from students.simulated.classroom_toy import ClassroomToyStudent
from teachers.classroom import Classroom
from teachers.registry import make as make_teacher

__all__ = ["pooled_ratio", "population", "run_again_benchmark", "run_toy_student", "summarize", "table_markdown", "welch_p"]


def population(
    n: int, seed: int, start_cubes: list[int] | None = None, n_cubes: int = 20, balanced: bool = False
) -> list[dict[str, Any]]:
    """``n`` student types (``start_cube``) drawn with ``seed``: uniformly among
    ``start_cubes`` if given, else among all cubes ([MA] toy v2). ``balanced``: every type
    of ``start_cubes`` in turn (as equal shares as ``n`` allows), in a shuffled order."""
    rng = np.random.default_rng(seed)
    choices = np.asarray(start_cubes) if start_cubes is not None else np.arange(n_cubes**2)
    if balanced:
        picks = rng.permutation(np.resize(choices, n))
    else:
        picks = rng.choice(choices, size=n)
    return [{"start_cube": int(c), "n_cubes": n_cubes} for c in picks]


def run_toy_student(
    teacher: Any,
    student: ClassroomToyStudent,
    episodes: int,
    eval_every: int,
    kc_every: int | None = None,
    record: bool = False,
) -> dict[str, Any]:
    """Train ``student`` under ``teacher`` for ``episodes`` episodes.

    The pre-test is answered from the student's competence whenever the teacher asks
    (:meth:`~teachers.Teacher.pretest_due`). With ``record``, also returns what a classroom
    entry needs: KC vectors every ``kc_every`` episodes (and at 0), the ALP-GMM mixture after
    each refit, and every episode's task and score.

    :return: ``{"episodes", "mastered_pct", "seconds"}`` (+ ``"kc_episodes"``, ``"kc"``,
        ``"snapshots"``, ``"tasks"``, ``"rewards"``, ``"final_test"`` with ``record``).
    """
    t0 = time.process_time()
    tasks = np.zeros((episodes, 2)) if record else None
    rewards = np.zeros(episodes) if record else None
    kc_eps, kc, snaps = [], [], []
    points, pcts = [0], [student.mastered_pct()]
    n_fits = getattr(teacher, "n_fits", 0)
    for i in range(episodes):
        if teacher.pretest_due():
            teacher.set_pretest_results(student.test_scores(teacher.pretest_tasks()))
        if record and kc_every and i % kc_every == 0:
            kc_eps.append(i)
            kc.append(student.test_scores())
        task = teacher.sample()
        score, _ = student.episode(task)
        teacher.update(task, score)
        if record:
            tasks[i], rewards[i] = task, score
            if teacher.n_fits != n_fits:
                n_fits = teacher.n_fits
                snaps.append((i + 1, teacher.internals()["gmm"]))
        if (i + 1) % eval_every == 0 or i + 1 == episodes:
            points.append(i + 1)
            pcts.append(student.mastered_pct())
    out: dict[str, Any] = {"episodes": points, "mastered_pct": pcts, "seconds": time.process_time() - t0}
    if record:
        out.update(kc_episodes=kc_eps, kc=np.array(kc), snapshots=snaps, tasks=tasks, rewards=rewards,
                   final_test=student.test_scores())
    return out


def build_toy_classroom(
    types: list[dict[str, Any]], episodes: int, kc_every: int, seed: int, log: Any = None,
    alp_params: dict[str, Any] | None = None,
) -> tuple[Classroom, list[float]]:
    """Train one ALP-GMM student per type (ALP-GMM with ``alp_params``) and record it as a
    classroom entry.

    :return: the classroom (students without any Gaussian of mean ALP > 0.2 left out, as
        [MA]'s notebooks do) and every student's final % mastered.
    """
    students, finals = [], []
    space = ClassroomToyStudent.task_space
    for i, params in enumerate(types):
        student = ClassroomToyStudent(**params)
        teacher = make_teacher("alp-gmm", space, seed=seed + i, **(alp_params or {}))
        rec = run_toy_student(teacher, student, episodes, eval_every=episodes, kc_every=kc_every, record=True)
        entry = classroom_student(
            f"toy-{i}-cube{params['start_cube']}", rec["kc_episodes"], rec["kc"], rec["final_test"],
            rec["snapshots"], rec["tasks"], rec["rewards"], params, teacher.random_task_ratio,
            float(np.prod(space.high - space.low)),
        )
        finals.append(rec["mastered_pct"][-1])
        if any((s["lp"] > 0.2).any() for s in entry.snapshots):
            students.append(entry)
        if log is not None:
            log(f"classroom {i + 1}/{len(types)}: cube {params['start_cube']}, "
                f"{finals[-1]:.1f}% mastered, {rec['seconds']:.1f}s")  # fmt: skip
    tasks = ClassroomToyStudent(**types[0]).test_set()
    return Classroom(space.low, space.high, tasks, students, {"kind": "simulated toy classroom"}), finals


def run_again_benchmark(
    n_classroom: int,
    n_new: int,
    episodes: int,
    pretest_episodes: int,
    eval_every: int,
    seed: int = 0,
    start_cubes: list[int] | None = None,
    again_params: dict[str, Any] | None = None,
    log: Any = None,
    n_types: int | None = None,
    alp_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole benchmark (see the module docstring).

    :param n_classroom: classroom students (trained with ALP-GMM).
    :param n_new: new students; each is trained once per teacher, with seed ``seed + 1000 + j``.
    :param episodes: episodes per student (classroom and new).
    :param pretest_episodes: AGAIN's ALP-GMM episodes before its pre-test; also the KC period
        of the classroom ([MA] toy: 1 epoch of 10k episodes).
    :param eval_every: % mastered measured every this many episodes.
    :param seed: seed of the populations and teachers.
    :param start_cubes: the student types (start cubes) to draw from; ``None``: all cubes.
    :param again_params: extra AGAIN parameters (with ``expert_selection="ground_truth"``
        each new student's type is its ``student_params``).
    :param n_types: with ``start_cubes=None``, draw this many distinct start cubes (the
        population's bodies) with ``seed`` first; ``None``: every cube is a type.
    :param alp_params: ALP-GMM's parameters, for the classroom and the ALP-GMM baseline
        (``{"random_task_ratio": 0.1}``: [MA]'s toy ALP-GMM runs, ``-rnd 10``); default: its
        defaults.
    """
    if start_cubes is None and n_types is not None:
        start_cubes = sorted(int(c) for c in np.random.default_rng(seed + 7).choice(400, n_types, replace=False))
    # With a set of types, the classroom holds each in equal shares (every body was seen before).
    types = population(n_classroom, seed, start_cubes, balanced=start_cubes is not None)
    room, finals = build_toy_classroom(types, episodes, pretest_episodes, seed, log, alp_params)
    new_types = population(n_new, seed + 1, start_cubes)
    params = {"pretest_episodes": pretest_episodes, **(again_params or {})}
    room_dict = room.to_dict()
    curves: dict[str, list[list[float]]] = {"again": [], "alp-gmm": [], "random": []}
    experts, phases = [], []
    episodes_axis: list[int] = []
    for j, t in enumerate(new_types):
        again = {"classroom": room_dict, **params}
        if again.get("expert_selection") == "ground_truth":
            again["student_params"] = t  # [MA] -gt: the new student's type (its start cube)
        for name in curves:
            teacher_seed = seed + 1000 + j
            extra = {"again": again, "alp-gmm": dict(alp_params or {}), "random": {}}[name]
            teacher = make_teacher(name, ClassroomToyStudent.task_space, seed=teacher_seed, **extra)
            res = run_toy_student(teacher, ClassroomToyStudent(**t), episodes, eval_every)
            curves[name].append(res["mastered_pct"])
            episodes_axis = res["episodes"]
            if name == "again":
                phases.append(teacher.internals()["again"])
                experts.append(phases[-1]["expert"])
            if log is not None:
                log(f"new {j + 1}/{n_new} cube {t['start_cube']} {name}: {res['mastered_pct'][-1]:.1f}% "
                    f"({res['seconds']:.1f}s)")  # fmt: skip
    return {
        "config": {"n_types": n_types,
            "n_classroom": n_classroom, "n_new": n_new, "episodes": episodes, "pretest_episodes": pretest_episodes,
            "eval_every": eval_every, "seed": seed, "start_cubes": start_cubes, "again_params": params,
            "alp_params": dict(alp_params or {}),
        },
        "classroom": {"types": types, "kept": len(room), "final_mastered_pct": finals},
        "new_types": new_types, "experts": experts, "again_phases": phases, "episodes": episodes_axis, "curves": curves,
        "summary": summarize(curves),
    }


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Welch's t-test p-value (:func:`students.experiments.report.welch_test`), NaN where it is
    not defined (one seed, no variance)."""
    p, _ = welch_test(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return float("nan") if p is None else p


def summarize(curves: dict[str, list[list[float]]]) -> dict[str, Any]:
    """Final % mastered per teacher (mean, std, n) and AGAIN's ratio to each other teacher
    with Welch's t-test p-value (two-sided)."""
    final = {k: np.array([c[-1] for c in v]) for k, v in curves.items()}
    out: dict[str, Any] = {k: {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                               "n": len(v)} for k, v in final.items()}  # fmt: skip
    for other in ("alp-gmm", "random"):
        a, b = final["again"], final[other]
        p = welch_p(a, b)
        out[f"again_vs_{other}"] = {"ratio": float(a.mean() / b.mean()) if b.mean() > 0 else float("inf"), "welch_p": p}
    return out


def pooled_ratio(results: dict[str, dict[str, Any]], target: float = 1.3) -> dict[str, Any]:
    """AGAIN / ALP-GMM pooled over several benchmark runs (populations), at each run's budget.

    Each run gives the log of its ratio of mean % mastered and that log's variance by the
    delta method (``s_a² / (n_a m_a²) + s_b² / (n_b m_b²)``); the logs are pooled with
    DerSimonian and Laird's random-effects weights (runs may differ beyond sampling noise:
    other populations and settings).

    :param results: run name → :func:`run_again_benchmark` result.
    :param target: the ratio tested as the null hypothesis "the true ratio is at least
        ``target``" (issue #16's 1.3).
    :return: per run ``ratio`` and ``se_log``; pooled ``ratio``, its ``ci95``, ``tau2``
        (between-run variance of the log ratio), Cochran's ``q``, and ``p_at_least_target``:
        the one-sided p-value of that null (small: the true ratio is below ``target``).
    """
    from scipy import stats

    logs, variances, runs = [], [], []
    for name, r in results.items():
        a = np.array([c[-1] for c in r["curves"]["again"]], dtype=np.float64)
        b = np.array([c[-1] for c in r["curves"]["alp-gmm"]], dtype=np.float64)
        if len(a) < 2 or len(b) < 2 or a.mean() <= 0 or b.mean() <= 0:
            raise ValueError(f"run {name!r}: needs at least 2 students per teacher and positive means")
        log_ratio = float(np.log(a.mean() / b.mean()))
        var = a.var(ddof=1) / (len(a) * a.mean() ** 2) + b.var(ddof=1) / (len(b) * b.mean() ** 2)
        logs.append(log_ratio)
        variances.append(var)
        runs.append({"run": name, "ratio": float(np.exp(log_ratio)), "se_log": float(np.sqrt(var))})
    y, v = np.array(logs), np.array(variances)
    w = 1.0 / v
    q = float((w * (y - (w * y).sum() / w.sum()) ** 2).sum())
    tau2 = max(0.0, (q - (len(y) - 1)) / (w.sum() - (w**2).sum() / w.sum())) if len(y) > 1 else 0.0
    w = 1.0 / (v + tau2)
    mu, se = float((w * y).sum() / w.sum()), float(np.sqrt(1.0 / w.sum()))
    z = float(stats.norm.ppf(0.975))
    return {
        "runs": runs, "ratio": float(np.exp(mu)), "ci95": [float(np.exp(mu - z * se)), float(np.exp(mu + z * se))],
        "tau2": tau2, "q": q, "k": len(y), "target": target,
        "p_at_least_target": float(stats.norm.cdf((mu - np.log(target)) / se)),
    }


def table_markdown(result: dict[str, Any]) -> str:
    """The result table (final % mastered) and the ratios."""
    s = result["summary"]
    lines = ["| teacher | final % mastered (mean ± std) | n |", "|---|---|---|"]
    for k in ("again", "alp-gmm", "random"):
        lines.append(f"| {k} | {s[k]['mean']:.1f} ± {s[k]['std']:.1f} | {s[k]['n']} |")
    lines.append("")
    for other in ("alp-gmm", "random"):
        r = s[f"again_vs_{other}"]
        lines.append(f"- AGAIN / {other}: **{r['ratio']:.2f}×**, Welch p = {r['welch_p']:.2g}")
    return "\n".join(lines)


def summarize_run_groups(root: str, out_png: str | None = None) -> dict[str, Any]:
    """% mastered of the run directories under ``root``, grouped by name before ``_drift``
    (``again_drift0.015_s2`` → ``again``): per group the mean curve over the evaluations,
    the final and the mean over the last two evaluations, and Welch p against ``alp-gmm``.

    Used for ``benchmarks/results/again_pointgate`` (PPO runs, not simulated).
    """
    from pathlib import Path

    from students.run_dir import JSONL_FILES, read_jsonl

    groups: dict[str, dict[str, list]] = {}
    steps: list[int] = []
    for run in sorted(p for p in Path(root).iterdir() if (p / JSONL_FILES["evaluations"]).is_file()):
        evals = read_jsonl(run / JSONL_FILES["evaluations"], key="step")
        name = run.name.split("_drift")[0]
        g = groups.setdefault(name, {"runs": [], "curves": []})
        g["runs"].append(run.name)
        g["curves"].append([e["mastered_pct"] for e in evals])
        steps = [e["step"] for e in evals]
    summary: dict[str, Any] = {"steps": steps, "groups": {}}
    base = np.array([c[-1] for c in groups.get("alp-gmm", {"curves": []})["curves"]])
    base2 = np.array([np.mean(c[-2:]) for c in groups.get("alp-gmm", {"curves": []})["curves"]])
    for name, g in groups.items():
        c = np.array(g["curves"], dtype=np.float64)
        final, last2 = c[:, -1], c[:, -2:].mean(1)
        row = {"runs": g["runs"], "n": len(c), "final_mean": float(final.mean()), "final_std": float(final.std(ddof=1)),
               "last2_mean": float(last2.mean()), "curve_mean": c.mean(0).tolist(), "curves": c.tolist()}  # fmt: skip
        if name != "alp-gmm" and len(base) > 1:
            row["ratio_final"] = float(final.mean() / base.mean()) if base.mean() > 0 else float("inf")
            row["welch_p_final"] = welch_p(final, base)
            row["ratio_last2"] = float(last2.mean() / base2.mean()) if base2.mean() > 0 else float("inf")
            row["welch_p_last2"] = welch_p(last2, base2)
        summary["groups"][name] = row
    if out_png is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for name, row in summary["groups"].items():
            c = np.array(row["curves"])
            m, se = c.mean(0), c.std(0, ddof=1) / np.sqrt(len(c)) if len(c) > 1 else 0 * c.mean(0)
            ax.plot(steps, m, label=f"{name} (n={len(c)})")
            ax.fill_between(steps, m - se, m + se, alpha=0.2)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("% of the 100 test tasks mastered (mean ± s.e.)")
        ax.set_title("PointGate, new bodies (drift ±0.015): AGAIN vs ALP-GMM")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_png, dpi=110)
        plt.close(fig)
    return summary
