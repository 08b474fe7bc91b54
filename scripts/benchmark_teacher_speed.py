"""Teacher speed: time per episode (sample + update) of every registered teacher.

Runs every teacher that accepts a 2-D ``Box`` for ``--episodes`` episodes against a cheap
synthetic student, times ALP-GMM and Covar-GMM up to ``--growth`` episodes (one long run
each, timed at checkpoints), and, as a baseline measured in the same process, ALP-GMM with
scikit-learn's ``GaussianMixture`` doing the fits instead of :mod:`teachers.gmm`.
Writes ``<out>/teacher_speed.json`` and ``.md``.

    nice -n 10 python scripts/benchmark_teacher_speed.py            # about 5-8 min
    python scripts/benchmark_teacher_speed.py --episodes 2000 --growth 5000 --out /tmp/x

Teachers that require feedback (``requires``: success, value, steps) get it from the same
student (success: with probability expected score / 300, its competence, so that success rates
between 0 and 1 occur where the student is learning, as GoalGAN needs to train; value: its
noise-free expected score; steps: ``--episode-steps``
per episode, 250 by default), and teachers with ``requires_value_fn`` get that expected score
as their value function (its calls are counted as teacher time). For step-scheduled
teachers (SPDL, default update every 50 000 steps after 200 000) the per-episode time is
amortized over the episodes between updates; ``update_ms`` gives the updates themselves.
``--teachers spdl random`` runs a subset (no baseline, no growth runs). The neural teachers'
(``goal-gan``, ``setter-solver``) times include their network training; torch runs on one
thread, and ``--device cuda`` puts their networks on the GPU.

Times are wall clock summed over the teacher calls only (the student is excluded) and
process CPU time of the whole loop (student included; less sensitive to other processes),
each the best of ``--repeats`` runs. On a shared machine, read them next to Random's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from gymnasium import spaces
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

import teachers
from teachers.alp_gmm import ALPGMMTeacher
from teachers.gmm import GaussianMixtureFit, select_gmm

SPACE = spaces.Box(low=np.array([0.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))


class SklearnALPGMM(ALPGMMTeacher):
    """ALP-GMM fitting with scikit-learn (the reference implementations' way); baseline only."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fit_data: list[np.ndarray] = []

    def _fit(self, X: np.ndarray) -> GaussianMixtureFit:
        self.fit_data.append(X.copy())
        seed = int(self.rng.integers(2**31))
        models = [GaussianMixture(k, covariance_type="full", n_init=self.nb_em_init, random_state=seed).fit(X) for k in self.potential_ks]
        m = min(models, key=lambda m: m.aic(X) if self.criterion == "aic" else m.bic(X))
        return GaussianMixtureFit(m.weights_, m.means_, m.covariances_, float(m.score(X)), len(X), m.n_iter_, m.converged_)


#: Hyperparameters without defaults, in the units of the scores fed by :func:`run` (0-300).
REQUIRED_PARAMS: dict[str, dict] = {
    "adr": {"max_reward_thr": 150.0, "min_reward_thr": 20.0},
    # δ between the student's expected scores at the start (0) and at mastery (300)
    "spdl": {"perf_lb": 100.0},
}


def _expected_score(tasks: np.ndarray, progress: float) -> np.ndarray:
    """The student's noise-free score: competence around one point, growing with training."""
    u = (np.asarray(tasks, dtype=np.float64).reshape(-1, 2) - SPACE.low) / (SPACE.high - SPACE.low)
    return 300.0 * np.exp(-((u - 0.3) ** 2).sum(axis=1) / 0.02) * min(1.0, progress)


def run(teacher: teachers.Teacher, n: int, checkpoints: tuple[int, ...] = (), episode_steps: int = 250) -> dict[str, float]:
    """Feed ``n`` episodes; return µs per episode (overall and, per checkpoint, cumulative),
    and for step-scheduled teachers the time of the updates that changed the teacher."""
    rng = np.random.default_rng(0)
    success_rng = np.random.default_rng(1)
    out: dict[str, float] = {}
    progress = [0.0]
    if teacher.requires_value_fn:
        teacher.set_value_fn(lambda tasks: _expected_score(tasks, progress[0]))
    needs = teacher.requires
    update_times: list[float] = []
    wall, cpu0, last_wall, last_cpu, last_n = 0.0, time.process_time(), 0.0, 0.0, 0
    for i in range(1, n + 1):
        progress[0] = 3.0 * i / n
        t0 = time.perf_counter()
        task = teacher.sample()
        t1 = time.perf_counter()
        expected = float(_expected_score(task, progress[0])[0])
        score = expected + rng.normal()
        success = bool(success_rng.random() < expected / 300.0)  # own stream: scores unchanged
        feedback = {"success": success, "value": expected, "steps": episode_steps}
        feedback = {k: v for k, v in feedback.items() if k in needs}
        marker = getattr(teacher, "next_update", None)
        t2 = time.perf_counter()
        teacher.update(task, score, **feedback)
        t3 = time.perf_counter()
        wall += (t1 - t0) + (t3 - t2)
        if marker is not None and getattr(teacher, "next_update", None) != marker:
            update_times.append(t3 - t2)
        if i in checkpoints:
            cpu = time.process_time() - cpu0
            out[f"wall_us_at_{i}"] = 1e6 * wall / i
            out[f"marginal_wall_us_at_{i}"] = 1e6 * (wall - last_wall) / (i - last_n)
            out[f"cpu_us_at_{i}"] = 1e6 * cpu / i
            out[f"marginal_cpu_us_at_{i}"] = 1e6 * (cpu - last_cpu) / (i - last_n)
            last_wall, last_cpu, last_n = wall, cpu, i
    out["wall_us"] = 1e6 * wall / n
    out["cpu_us"] = 1e6 * (time.process_time() - cpu0) / n
    if update_times:
        out["updates"] = len(update_times)
        out["update_ms_mean"] = 1e3 * float(np.mean(update_times))
        out["update_ms_max"] = 1e3 * float(np.max(update_times))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20_000, help="episodes per teacher (default 20000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per teacher; the fastest is kept (default 3)")
    parser.add_argument("--growth", type=int, nargs="*", default=[100_000, 1_000_000], help="growth checkpoints")
    parser.add_argument("--growth-teachers", nargs="*", default=["alp-gmm", "covar-gmm"])
    parser.add_argument("--teachers", nargs="*", default=None, help="only these teachers (no baseline, no growth)")
    parser.add_argument("--episode-steps", type=int, default=250, help="'steps' feedback per episode (default 250)")
    parser.add_argument(
        "--device", default=None,
        help="torch device of the teachers that take one (goal-gan, setter-solver); default: theirs (cpu)",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    threadpool_limits(1)  # one BLAS/OpenMP thread: sklearn's OpenMP spins on a busy 2-core machine
    for name in args.teachers or teachers.available():
        teachers.get_class(name)  # imports the lazily registered (torch) teachers
    if "torch" in sys.modules:  # their networks on one thread too (threadpoolctl misses torch's pool)
        sys.modules["torch"].set_num_threads(1)
    result: dict = {
        "machine": {
            "cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "sklearn": sklearn.__version__, "load_avg_start": os.getloadavg(),
        },
        "episodes": args.episodes, "repeats": args.repeats, "space": "Box([0, 0], [3, 6])", "teachers": {}, "growth": {},
        "episode_steps": args.episode_steps,
    }
    for name in args.teachers or teachers.available():
        cls = teachers.get_class(name)
        params = dict(REQUIRED_PARAMS.get(name, {}))
        if args.device is not None and "device" in cls._param_names():
            params["device"] = args.device
        if not any(issubclass(spaces.Box, s) for s in cls.supported_spaces):
            result["teachers"][name] = {"skipped": "no Box task space"}
            continue
        try:
            teacher = teachers.make(name, SPACE, seed=0, **params)
        except (TypeError, ValueError) as err:  # e.g. required hyperparameters
            result["teachers"][name] = {"skipped": str(err)}
            continue
        runs = [run(teacher, args.episodes, episode_steps=args.episode_steps)]
        for _ in range(args.repeats - 1):  # best of several runs: other processes only ever slow us down
            runs.append(run(teachers.make(name, SPACE, seed=0, **params), args.episodes, episode_steps=args.episode_steps))
        best = min(runs, key=lambda r: r["wall_us"])
        result["teachers"][name] = {
            "wall_us": best["wall_us"], "cpu_us": min(r["cpu_us"] for r in runs),
            "wall_us_runs": [r["wall_us"] for r in runs], "params": params,
            **{k: best[k] for k in ("updates", "update_ms_mean", "update_ms_max") if k in best},
        }
        print(name, result["teachers"][name], flush=True)
    if args.teachers:
        result["machine"]["load_avg_end"] = os.getloadavg()
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "teacher_speed.json").write_text(json.dumps(result, indent=2))
        (args.out / "teacher_speed.md").write_text(markdown(result, ()))
        print((args.out / "teacher_speed.md").read_text())
        return

    baseline = SklearnALPGMM(SPACE, seed=0)
    result["sklearn_alp_gmm"] = run(baseline, args.episodes)
    ours = result["teachers"]["alp-gmm"]
    result["sklearn_alp_gmm"]["ratio_to_ours_wall"] = result["sklearn_alp_gmm"]["wall_us"] / ours["wall_us"]
    # The fits alone, on the very same data (the baseline's windows).
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for X in baseline.fit_data:
        select_gmm(X, baseline.potential_ks, "aic", rng)
    ours_fit = (time.perf_counter() - t0) / len(baseline.fit_data)
    t0 = time.perf_counter()
    for X in baseline.fit_data:
        for k in baseline.potential_ks:
            GaussianMixture(k, random_state=0).fit(X).aic(X)
    sk_fit = (time.perf_counter() - t0) / len(baseline.fit_data)
    result["fit_ms"] = {"ours": 1e3 * ours_fit, "sklearn": 1e3 * sk_fit, "ratio": sk_fit / ours_fit, "fits": len(baseline.fit_data)}
    print("sklearn baseline", result["sklearn_alp_gmm"], result["fit_ms"], flush=True)

    checkpoints = tuple(sorted({args.episodes, *args.growth}))
    for name in args.growth_teachers:
        result["growth"][name] = run(teachers.make(name, SPACE, seed=0), max(checkpoints), checkpoints)
        print("growth", name, result["growth"][name], flush=True)
    result["machine"]["load_avg_end"] = os.getloadavg()

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "teacher_speed.json").write_text(json.dumps(result, indent=2))
    (args.out / "teacher_speed.md").write_text(markdown(result, checkpoints))
    print((args.out / "teacher_speed.md").read_text())


def markdown(r: dict, checkpoints: tuple[int, ...]) -> str:
    m = r["machine"]
    lines = [
        f"Teacher time per episode (sample + update), 2-D Box, {r['episodes']} episodes, best of {r['repeats']} runs. "
        f"{m['cpus']} CPUs, load average {m['load_avg_start'][0]:.1f} at start, {m['load_avg_end'][0]:.1f} at end.",
        "",
        "| teacher | wall µs/episode | minus random's | CPU µs/episode (loop incl. student) |",
        "|---|---|---|---|",
    ]
    base = r["teachers"].get("random", {}).get("wall_us", float("nan"))  # the Teacher base class's share
    for name, v in r["teachers"].items():
        lines.append(
            f"| {name} | {v['wall_us']:.1f} | {v['wall_us'] - base:.1f} | {v['cpu_us']:.1f} |"
            if "wall_us" in v
            else f"| {name} | skipped: {v['skipped']} | | |"
        )
    updates = [(n, v) for n, v in r["teachers"].items() if "updates" in v]
    if updates:
        lines += ["", f"Step-scheduled teachers ({r.get('episode_steps', 250)} steps per episode): the updates themselves.", "",
                  "| teacher | params | updates | ms per update (mean / max) |", "|---|---|---|---|"]
        lines += [f"| {n} | {v['params']} | {v['updates']} | {v['update_ms_mean']:.1f} / {v['update_ms_max']:.1f} |"
                  for n, v in updates]
    if "sklearn_alp_gmm" not in r:
        return "\n".join(lines) + "\n"
    s = r["sklearn_alp_gmm"]
    lines.append(f"| alp-gmm, sklearn fits (baseline) | {s['wall_us']:.1f} | {s['wall_us'] - base:.1f} | {s['cpu_us']:.1f} |")
    f = r["fit_ms"]
    lines += [
        "",
        f"ALP-GMM with scikit-learn fits is {s['ratio_to_ours_wall']:.1f}x slower per episode. One refit "
        f"(k = 2..10, 250 points): {f['ours']:.2f} ms batched EM vs {f['sklearn']:.1f} ms scikit-learn "
        f"({f['ratio']:.0f}x, same {f['fits']} windows).",
        "",
        "Growth: µs/episode averaged from the start / over the last segment only, wall (CPU).",
        "",
        "| teacher | " + " | ".join(f"{n:,} episodes" for n in checkpoints) + " |",
        "|---|" + "---|" * len(checkpoints),
    ]
    for name, g in r["growth"].items():
        cells = [
            f"{g[f'wall_us_at_{n}']:.0f} / {g[f'marginal_wall_us_at_{n}']:.0f} "
            f"({g[f'cpu_us_at_{n}']:.0f} / {g[f'marginal_cpu_us_at_{n}']:.0f})"
            for n in checkpoints
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
