"""Sweep reports: % mastered tables, Welch's t-tests, learning curves and ratio-to-Random.

Reads run directories (``evaluations.jsonl``: ``step``, ``mastered_pct``; ``config.yaml``: env,
teacher, seed; labels from the sweep's ``sweep.json`` when there is one) and writes
``report.md``, ``summary.json`` and PNG figures, following TeachMyAgent's protocol: per env
("challenge") and teacher, the final % mastered and the area under the % mastered curve
(mean ± sample std over seeds), Welch's t-test against the baseline teacher
(``scipy.stats.ttest_ind(..., equal_var=False)``, significance at p < 0.05), and the mean
% mastered divided by the baseline's.

Runs of one env are compared on the evaluation steps they all share (if they share none, each
curve is linearly interpolated onto the steps inside their common range). Unfinished runs (no
``DONE``) are left out unless asked for, so that one crashed run does not cut every curve short.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import stats

from students.experiments.sweep import MANIFEST_FILE, default_env_label
from students.run_dir import CONFIG_FILE, DONE_MARKER, read_jsonl

__all__ = [
    "EnvReport",
    "RunCurve",
    "TeacherStats",
    "align_curves",
    "load_runs",
    "normalized_auc",
    "summarize",
    "welch_test",
    "write_report",
]

SIGNIFICANCE = 0.05


@dataclass
class RunCurve:
    """One run's % mastered over training.

    :param env: env label (``default_env_label`` or the sweep's label).
    :param teacher: teacher label.
    :param finished: whether the run directory holds ``DONE``.
    """

    run_dir: Path
    env: str
    teacher: str
    seed: int
    steps: np.ndarray
    mastered: np.ndarray
    finished: bool


@dataclass
class TeacherStats:
    """One teacher on one env, over its seeds (arrays ordered like ``seeds``).

    :param final: % mastered at the last common evaluation step, per seed.
    :param auc: area under the % mastered curve divided by the step range, per seed
        (the curve's mean level, in %).
    :param curves: ``(n_seeds, n_steps)`` % mastered on the env's common steps.
    :param p_final: Welch's t-test p-value of ``final`` against the baseline (None: no test).
    :param ratio: mean final % mastered divided by the baseline's (None: undefined).
    :param note: why a test or ratio is missing.
    """

    teacher: str
    seeds: list[int]
    final: np.ndarray
    auc: np.ndarray
    curves: np.ndarray
    p_final: float | None = None
    p_auc: float | None = None
    ratio: float | None = None
    note: str = ""

    @property
    def n(self) -> int:
        return len(self.seeds)

    @staticmethod
    def _std(x: np.ndarray) -> float:
        return float(np.std(x, ddof=1)) if len(x) > 1 else math.nan

    @property
    def final_mean(self) -> float:
        return float(np.mean(self.final))

    @property
    def final_std(self) -> float:
        return self._std(self.final)

    @property
    def auc_mean(self) -> float:
        return float(np.mean(self.auc))

    @property
    def auc_std(self) -> float:
        return self._std(self.auc)

    def curve_mean(self) -> np.ndarray:
        return self.curves.mean(axis=0)

    def curve_se(self) -> np.ndarray:
        """Standard error of the mean curve (zeros for a single seed)."""
        if self.n < 2:
            return np.zeros(self.curves.shape[1])
        return self.curves.std(axis=0, ddof=1) / math.sqrt(self.n)

    def to_dict(self) -> dict[str, Any]:
        def num(x):
            return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x

        return {
            "teacher": self.teacher,
            "seeds": self.seeds,
            "final": self.final.tolist(),
            "auc": self.auc.tolist(),
            "final_mean": num(self.final_mean),
            "final_std": num(self.final_std),
            "auc_mean": num(self.auc_mean),
            "auc_std": num(self.auc_std),
            "p_final": num(self.p_final),
            "p_auc": num(self.p_auc),
            "ratio": num(self.ratio),
            "note": self.note,
        }


@dataclass
class EnvReport:
    """All teachers on one env, aligned on common evaluation steps."""

    env: str
    steps: np.ndarray
    teachers: dict[str, TeacherStats]
    baseline: str
    interpolated: bool = False
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- loading
def _env_from_config(cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    env = cfg.get("env")
    kwargs = cfg.get("env_kwargs") or {}
    if isinstance(env, dict):
        kwargs = env.get("kwargs") or kwargs
        env = env.get("id") or env.get("name")
    if not isinstance(env, str):
        raise ValueError(f"config has no env id: env={cfg.get('env')!r}")
    return env, dict(kwargs)


def _teacher_from_config(cfg: dict[str, Any]) -> str:
    teacher = cfg.get("teacher")
    if isinstance(teacher, dict):
        teacher = teacher.get("name")
    if not isinstance(teacher, str):
        raise ValueError(f"config has no teacher name: teacher={cfg.get('teacher')!r}")
    return teacher


def load_runs(root: str | Path, include_unfinished: bool = False) -> tuple[list[RunCurve], list[str]]:
    """Read every run directory under ``root`` (any depth).

    :param include_unfinished: also keep runs without ``DONE``.
    :returns: the runs (sorted by env, teacher, seed) and notes on the directories left out.
    :raises ValueError: if ``root`` holds no run with evaluations.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"sweep root {str(root)!r} is not a directory")
    labels: dict[str, dict[str, Any]] = {}
    manifest = root / MANIFEST_FILE
    if manifest.is_file():
        for row in json.loads(manifest.read_text()).get("runs", []):
            labels[os.path.normpath(row["run_dir"])] = row
    runs, notes = [], []
    for evals_path in sorted(root.rglob("evaluations.jsonl")):
        run_dir = evals_path.parent
        rel = os.path.normpath(run_dir.relative_to(root).as_posix())
        cfg_path = run_dir / CONFIG_FILE
        if not cfg_path.is_file():
            notes.append(f"{rel}: no config.yaml, left out")
            continue
        cfg = yaml.safe_load(cfg_path.read_text()) or {}
        finished = (run_dir / DONE_MARKER).is_file()
        if not finished and not include_unfinished:
            notes.append(f"{rel}: unfinished (no {DONE_MARKER}), left out")
            continue
        rows = {}
        for row in read_jsonl(evals_path):
            if "step" in row and row.get("mastered_pct") is not None:
                rows[int(row["step"])] = float(row["mastered_pct"])  # a resumed step: keep the last
        if not rows:
            notes.append(f"{rel}: no evaluations, left out")
            continue
        if rel in labels:
            env, teacher = labels[rel]["env_label"], labels[rel]["teacher_label"]
        else:
            env = default_env_label(*_env_from_config(cfg))
            teacher = _teacher_from_config(cfg)
        steps = np.array(sorted(rows), dtype=np.int64)
        runs.append(
            RunCurve(
                run_dir=run_dir,
                env=env,
                teacher=teacher,
                seed=int(cfg.get("seed", -1)),
                steps=steps,
                mastered=np.array([rows[s] for s in steps], dtype=np.float64),
                finished=finished,
            )
        )
    if not runs:
        raise ValueError(f"no run with evaluations under {str(root)!r}" + (f" ({'; '.join(notes)})" if notes else ""))
    runs.sort(key=lambda r: (r.env, r.teacher, r.seed))
    return runs, notes


# ---------------------------------------------------------------------------- statistics
def align_curves(runs: Sequence[RunCurve]) -> tuple[np.ndarray, np.ndarray, bool]:
    """Put runs on common evaluation steps.

    :returns: ``(steps, curves, interpolated)``: the steps every run evaluated at, or, when
        there are none, the union of steps inside the range all runs cover with each curve
        linearly interpolated; ``curves`` is ``(len(runs), len(steps))``.
    :raises ValueError: if the runs' step ranges do not overlap.
    """
    common = set(runs[0].steps.tolist())
    for r in runs[1:]:
        common &= set(r.steps.tolist())
    if common:
        steps = np.array(sorted(common), dtype=np.int64)
        curves = np.stack([r.mastered[np.searchsorted(r.steps, steps)] for r in runs])
        return steps, curves, False
    lo = max(int(r.steps[0]) for r in runs)
    hi = min(int(r.steps[-1]) for r in runs)
    if lo > hi:
        raise ValueError(f"evaluation steps of {[str(r.run_dir) for r in runs]} do not overlap")
    union = sorted({int(s) for r in runs for s in r.steps if lo <= s <= hi})
    steps = np.array(union, dtype=np.int64)
    curves = np.stack([np.interp(steps, r.steps, r.mastered) for r in runs])
    return steps, curves, True


def normalized_auc(steps: np.ndarray, curve: np.ndarray) -> float:
    """Trapezoidal area under ``curve`` divided by the step range (the value itself for one step)."""
    if len(steps) < 2:
        return float(curve[-1])
    return float(np.trapezoid(curve, steps) / (steps[-1] - steps[0]))


def welch_test(a: np.ndarray, b: np.ndarray) -> tuple[float | None, str]:
    """Welch's t-test p-value of ``a`` vs ``b``, or None with the reason it is not defined."""
    if len(a) < 2 or len(b) < 2:
        return None, "single seed: no t-test"
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return None, "no variance: no t-test"
    p = stats.ttest_ind(a, b, equal_var=False).pvalue
    if not np.isfinite(p):
        return None, "no variance: no t-test"
    return float(p), ""


def summarize(runs: Sequence[RunCurve], baseline: str = "random") -> list[EnvReport]:
    """Per env: each teacher's final/AUC statistics, t-tests and ratio against ``baseline``."""
    reports = []
    for env in sorted({r.env for r in runs}):
        env_runs = [r for r in runs if r.env == env]
        steps, curves, interpolated = align_curves(env_runs)
        by_teacher: dict[str, TeacherStats] = {}
        for teacher in sorted({r.teacher for r in env_runs}, key=lambda t: (t != baseline, t)):
            idx = [i for i, r in enumerate(env_runs) if r.teacher == teacher]
            c = curves[idx]
            by_teacher[teacher] = TeacherStats(
                teacher=teacher,
                seeds=[env_runs[i].seed for i in idx],
                final=c[:, -1].copy(),
                auc=np.array([normalized_auc(steps, row) for row in c]),
                curves=c,
            )
        report = EnvReport(env, steps, by_teacher, baseline, interpolated)
        base = by_teacher.get(baseline)
        if base is None:
            report.notes.append(f"no {baseline!r} runs on this env: no t-tests or ratios")
        for ts in by_teacher.values():
            if base is None or ts is base:
                continue
            ts.p_final, note = welch_test(ts.final, base.final)
            ts.p_auc, _ = welch_test(ts.auc, base.auc)
            if base.final_mean > 0:
                ts.ratio = ts.final_mean / base.final_mean
            else:
                note = "; ".join(x for x in (note, f"{baseline} at 0%: no ratio") if x)
            ts.note = note
        reports.append(report)
    return reports


# ---------------------------------------------------------------------------- output
def _pm(mean: float, std: float) -> str:
    return f"{mean:.1f} ± {std:.1f}" if math.isfinite(std) else f"{mean:.1f}"


def _p(p: float | None, note: str) -> str:
    if p is None:
        return f"n/a ({note})" if note else "n/a"
    return f"{p:.3g}" + (" *" if p < SIGNIFICANCE else "")


def _ratio(ts: TeacherStats) -> str:
    if ts.ratio is None:
        return "n/a"
    return f"{ts.ratio:.2f}" + ("*" if ts.p_final is not None and ts.p_final < SIGNIFICANCE else "")


def _file_label(label: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in label)


def plot_learning_curves(report: EnvReport, path: Path) -> Path:
    """Mean % mastered ± standard error over steps, one line per teacher."""
    from matplotlib.figure import Figure  # no pyplot: works under any backend

    fig = Figure(figsize=(6.4, 4.2), dpi=110)
    ax = fig.subplots()
    for ts in report.teachers.values():
        mean, se = ts.curve_mean(), ts.curve_se()
        (line,) = ax.plot(report.steps, mean, label=f"{ts.teacher} (n={ts.n})")
        ax.fill_between(report.steps, mean - se, mean + se, color=line.get_color(), alpha=0.25, lw=0)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("% mastered (mean ± s.e.)")
    ax.set_title(report.env)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_ratio_to_baseline(reports: Sequence[EnvReport], baseline: str, path: Path) -> Path | None:
    """TeachMyAgent's view: per env, each teacher's mean % mastered / the baseline's (bars).

    A ``*`` marks a significant difference (Welch, p < 0.05). None when nothing to plot.
    """
    from matplotlib.figure import Figure

    envs = [r for r in reports if baseline in r.teachers]
    teachers = sorted({t for r in envs for t in r.teachers if t != baseline})
    if not envs or not teachers:
        return None
    fig = Figure(figsize=(max(5.0, 1.2 * len(envs) * max(1, len(teachers)) * 0.5 + 2), 4.2), dpi=110)
    ax = fig.subplots()
    width = 0.8 / len(teachers)
    x = np.arange(len(envs))
    for j, teacher in enumerate(teachers):
        heights, marks = [], []
        for r in envs:
            ts = r.teachers.get(teacher)
            heights.append(ts.ratio if ts is not None and ts.ratio is not None else np.nan)
            marks.append(ts is not None and ts.p_final is not None and ts.p_final < SIGNIFICANCE)
        pos = x - 0.4 + width * (j + 0.5)
        ax.bar(pos, heights, width, label=teacher)
        for px, h, m in zip(pos, heights, marks, strict=True):
            if m and np.isfinite(h):
                ax.text(px, h, "*", ha="center", va="bottom", fontsize=12)
    ax.axhline(1.0, color="k", lw=1, ls="--")
    ax.set_xticks(x, [r.env for r in envs], rotation=15, ha="right", fontsize=8)
    ax.set_ylabel(f"mean % mastered / {baseline}'s")
    ax.set_title(f"Ratio to {baseline} (* Welch p < {SIGNIFICANCE})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


def to_markdown(
    reports: Sequence[EnvReport], baseline: str, notes: Sequence[str], title: str, images: dict[str, str]
) -> str:
    """The report's markdown (``images``: env label or ``"ratio"`` → relative PNG path)."""
    n_runs = sum(ts.n for r in reports for ts in r.teachers.values())
    lines = [
        f"# Sweep report: {title}",
        "",
        f"{n_runs} runs. Final = % mastered at the last common evaluation step; AUC = area under "
        "the % mastered curve divided by the step range (its mean level, in %). Mean ± sample "
        f"std (ddof=1) over seeds. p: Welch's t-test against `{baseline}` "
        f"(`scipy.stats.ttest_ind(equal_var=False)`), * p < {SIGNIFICANCE}.",
        "",
    ]
    if notes:
        lines += ["Left out:", *[f"- {n}" for n in notes], ""]
    for r in reports:
        how = "interpolated onto" if r.interpolated else "aligned on"
        lines += [
            f"## {r.env}",
            "",
            f"Runs {how} {len(r.steps)} common evaluation steps ({r.steps[0]}–{r.steps[-1]}).",
            *[f"_{n}_" for n in r.notes],
            "",
            f"| teacher | seeds | final % mastered | p (final) | AUC % mastered | p (AUC) | ratio to {baseline} |",
            "|---|---|---|---|---|---|---|",
        ]
        for ts in r.teachers.values():
            if ts.teacher == baseline:
                p_final = p_auc = ratio = "(baseline)"
            else:
                p_final, p_auc, ratio = _p(ts.p_final, ts.note), _p(ts.p_auc, ts.note), _ratio(ts)
            lines.append(
                f"| {ts.teacher} | {ts.n} | {_pm(ts.final_mean, ts.final_std)} | {p_final} "
                f"| {_pm(ts.auc_mean, ts.auc_std)} | {p_auc} | {ratio} |"
            )
        if r.env in images:
            lines += ["", f"![learning curves on {r.env}]({images[r.env]})"]
        lines.append("")
    with_base = [r for r in reports if baseline in r.teachers]
    teachers = sorted({t for r in with_base for t in r.teachers if t != baseline})
    if with_base and teachers:
        lines += [
            f"## Ratio to {baseline} (TeachMyAgent view)",
            "",
            f"Mean final % mastered divided by `{baseline}`'s, per env; * Welch p < {SIGNIFICANCE}.",
            "",
            "| teacher | " + " | ".join(r.env for r in with_base) + " |",
            "|---|" + "---|" * len(with_base),
        ]
        for t in teachers:
            cells = [_ratio(r.teachers[t]) if t in r.teachers else "–" for r in with_base]
            lines.append(f"| {t} | " + " | ".join(cells) + " |")
        if "ratio" in images:
            lines += ["", f"![ratio to {baseline}]({images['ratio']})"]
        lines.append("")
    return "\n".join(lines)


def write_report(
    root: str | Path,
    out_dir: str | Path | None = None,
    baseline: str = "random",
    include_unfinished: bool = False,
) -> Path:
    """Read the sweep under ``root`` and write ``report.md``, ``summary.json`` and PNGs.

    :param out_dir: where to write (default ``<root>/report``).
    :returns: the path of ``report.md``.
    """
    root = Path(root)
    out = Path(out_dir) if out_dir is not None else root / "report"
    runs, notes = load_runs(root, include_unfinished=include_unfinished)
    reports = summarize(runs, baseline=baseline)
    out.mkdir(parents=True, exist_ok=True)
    images = {}
    for r in reports:
        name = f"curves_{_file_label(r.env)}.png"
        plot_learning_curves(r, out / name)
        images[r.env] = name
    ratio_name = f"ratio_to_{_file_label(baseline)}.png"
    if plot_ratio_to_baseline(reports, baseline, out / ratio_name) is not None:
        images["ratio"] = ratio_name
    md = to_markdown(reports, baseline, notes, root.resolve().name, images)
    (out / "report.md").write_text(md)
    summary = {
        "root": str(root.resolve()),
        "baseline": baseline,
        "left_out": list(notes),
        "envs": [
            {
                "env": r.env,
                "steps": r.steps.tolist(),
                "interpolated": r.interpolated,
                "notes": r.notes,
                "teachers": [ts.to_dict() for ts in r.teachers.values()],
            }
            for r in reports
        ],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return out / "report.md"
