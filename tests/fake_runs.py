"""Synthetic runs with known content, for the plot and W&B logger tests.

A :class:`FakeRun` is the sequence of calls the curriculum loop would make on a
:class:`students.loggers.RunLogger`. It can be replayed on a logger or written as a run
directory in the formats of ``students/loggers.py``.

Known content: every sampled task lies near :data:`HOT` (the "hot" region); evaluation ``k``
gives test task ``(x, y)`` the return ``return_of(x, y, k)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

HOT = (7.5, 3.0)  # where the continuous fake teachers sample
LOW, HIGH = [0.0, 0.0], [10.0, 4.0]
STEPS_PER_BATCH = 100
EPISODES_PER_BATCH = 4


def return_of(x: float, y: float, k: int) -> float:
    """The return of test task ``(x, y)`` at evaluation number ``k``."""
    return round(10.0 * x + y + k, 6)


@dataclass
class FakeRun:
    """Config, test set and logger calls of a synthetic run."""

    config: dict[str, Any]
    test_set: list[list[float]]
    events: list[tuple] = field(default_factory=list)

    def episodes(self) -> list[dict[str, Any]]:
        return [r for e in self.events if e[0] == "episodes" for r in e[2]]

    def steps(self) -> list[int]:
        """Distinct steps at which something is logged, in order."""
        return sorted({e[1] for e in self.events})


def internals_for(kind: str, k: int) -> dict[str, Any]:
    """A teacher snapshot of the given kind (``k`` varies it over time)."""
    if kind == "alp-gmm":
        return {"gmm": {
            "means": [[7.5, 3.0], [2.0, 1.0], [5.0, 2.0]],
            "covariances": [[[0.16, 0.0], [0.0, 0.0225]], [[1.0, 0.3], [0.3, 0.5]], [[0.5, 0.0], [0.0, 0.2]]],
            "weights": [0.5, 0.3, 0.2],
            "lp": [0.9 + 0.01 * k, 0.1, 0.4],
        }}
    if kind == "riac":
        return {"regions": [
            {"low": [0.0, 0.0], "high": [5.0, 4.0], "lp": 0.1},
            {"low": [5.0, 0.0], "high": [10.0, 2.0], "lp": 0.3},
            {"low": [5.0, 2.0], "high": [10.0, 4.0], "lp": 0.8 + 0.01 * k},
        ]}
    if kind == "adr":
        return {"bounds": {"low": [7.0, 2.5], "high": [8.0 + 0.1 * k, 3.5]}}
    if kind == "bandit":
        p = np.array([1.0, 2.0, 3.0, 10.0 + k])
        return {"probabilities": (p / p.sum()).tolist(), "arms": ["a0", "a1", "a2", "a3"]}
    if kind == "random":
        return {}
    raise ValueError(kind)


def make_fake_run(kind: str = "alp-gmm", n_batches: int = 60, seed: int = 0) -> FakeRun:
    """A run with ``n_batches`` batches of 4 episodes, 100 steps apart.

    Metrics every 5 batches, teacher snapshots every 10, evaluations every 20 (on a 5×4 grid
    test set). ``kind="bandit"`` samples 4 integer arms whose env tasks are integer points
    (the hot arm 3 ↦ task ``[3, 2]``) and stores ``teacher_task``.
    """
    rng = np.random.default_rng(seed)
    names = ["gate_x", "gate_width"]
    low, high = (list(LOW), list(HIGH)) if kind != "bandit" else ([0, 0], [4, 3])
    xs, ys = np.linspace(low[0], high[0], 5), np.linspace(low[1], high[1], 4)
    test_set = [[float(x), float(y)] for y in ys for x in xs]
    config = {"env": {"id": "teachrl/PointGate-v0"}, "teacher": {"name": kind, "params": {}},
              "student": {"algo": "ppo"}, "seed": seed, "n_envs": 4,
              "task_space": {"low": low, "high": high, "names": names}}
    run = FakeRun(config=config, test_set=test_set)
    arm_tasks = [[0, 0], [1, 3], [2, 1], [3, 2]]
    episode = 0
    n_eval = 0
    for b in range(n_batches):
        step = STEPS_PER_BATCH * (b + 1)
        records = []
        for e in range(EPISODES_PER_BATCH):
            rec: dict[str, Any] = {"episode": episode, "step": step, "env": e}
            if kind == "bandit":
                arm = 3 if rng.random() < 0.85 else int(rng.integers(0, 3))
                rec["task"], rec["teacher_task"] = arm_tasks[arm], arm
            else:
                task = np.clip(rng.normal(HOT, (0.3, 0.12)), low, high)
                rec["task"] = [float(v) for v in task]
            ret = float(rng.normal(50.0, 5.0))
            rec.update({"score": ret, "return": ret, "length": 100 + e, "success": bool(ret > 50)})
            records.append(rec)
            episode += 1
        run.events.append(("episodes", step, records))
        if b % 5 == 4:
            run.events.append(("metrics", step, {"episodes": episode, "loss": 1.0 / (b + 1), "train/fps": 1000.0}))
        if b % 10 == 9:
            run.events.append(("teacher", step, episode, internals_for(kind, b // 10)))
        if b % 20 == 19:
            rets = [return_of(x, y, n_eval) for x, y in test_set]
            succ = [r > 60 for r in rets]
            run.events.append(("evaluation", step, {"step": step, "returns": rets, "successes": succ,
                                                    "mastered_pct": 100.0 * np.mean(succ)}))
            n_eval += 1
    return run


def replay(run: FakeRun, logger, events: list[tuple] | None = None, start: bool = True, close: bool = True) -> None:
    """Make the loop's calls of ``run`` (or of ``events``) on ``logger``."""
    if start:
        logger.on_start(run.config, run.test_set)
    for ev in run.events if events is None else events:
        kind = ev[0]
        if kind == "episodes":
            logger.on_episodes(ev[1], ev[2])
        elif kind == "metrics":
            logger.on_metrics(ev[1], {"step": ev[1], **ev[2]})
        elif kind == "evaluation":
            logger.on_evaluation(ev[1], ev[2])
        elif kind == "teacher":
            logger.on_teacher(ev[1], ev[2], ev[3])
    if close:
        logger.close()


def _lines(events: list[tuple]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"history": [], "metrics": [], "evaluations": [], "teacher": []}
    for ev in events:
        if ev[0] == "episodes":
            out["history"] += [json.dumps(r) for r in ev[2]]
        elif ev[0] == "metrics":
            out["metrics"].append(json.dumps({"step": ev[1], **ev[2]}))
        elif ev[0] == "evaluation":
            out["evaluations"].append(json.dumps(ev[2]))
        elif ev[0] == "teacher":
            out["teacher"].append(json.dumps({"step": ev[1], "episode": ev[2], "internals": ev[3]}))
    return out


def write_run_dir(run: FakeRun, path: str | Path, resumed_at: int | None = None) -> Path:
    """Write ``run`` as a run directory.

    With ``resumed_at=i``, simulate a crash and resume: the events up to the end are written,
    then a partial line, then events from index ``i`` are written again (as a run resumed from
    a checkpoint taken after event ``i - 1`` does), so records from ``i`` on appear twice.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text(yaml.safe_dump(run.config))
    (path / "test_set.json").write_text(json.dumps({"tasks": run.test_set}))
    first = _lines(run.events)
    again = _lines(run.events[resumed_at:]) if resumed_at is not None else None
    for name, lines in first.items():
        text = "".join(line + "\n" for line in lines)
        if again is not None:
            text += '{"step": 12, "trunc'  # the crash cut this line short
            text += "\n" + "".join(line + "\n" for line in again[name])
        (path / f"{name}.jsonl").write_text(text)
    return path


def make_demo_run(n_episodes: int = 2000, seed: int = 0) -> FakeRun:
    """A plausible ALP-GMM curriculum for documentation pictures (synthetic, not trained).

    The student's competence ``c`` grows from 0.1 to 0.9; a task's difficulty is the mean of
    ``gate_x / 10`` and ``1 - gate_width / 4``; the teacher keeps 3 Gaussians on the
    competence frontier (difficulty ≈ c) plus 20% uniform exploration.
    """
    rng = np.random.default_rng(seed)
    low, high = np.array(LOW), np.array(HIGH)
    names = ["gate_x", "gate_width"]
    xs, ys = np.linspace(0.5, 9.5, 10), np.linspace(0.2, 3.8, 10)
    test_set = [[float(x), float(y)] for y in ys for x in xs]
    config = {"env": {"id": "teachrl/PointGate-v0"}, "teacher": {"name": "alp-gmm", "params": {}},
              "student": {"algo": "ppo"}, "seed": seed, "n_envs": 1,
              "task_space": {"low": LOW, "high": HIGH, "names": names}}
    run = FakeRun(config=config, test_set=test_set)

    def difficulty(t):
        return (t[..., 0] / 10 + 1 - t[..., 1] / 4) / 2

    def frontier(c, k):  # k points of difficulty c spread across the space
        x = np.clip(np.linspace(0.15, 0.85, k) * 2 * c, 0, 1)
        return np.stack([10 * x, 4 * (1 - np.clip(2 * c - x, 0, 1))], axis=1)

    gmm = None
    for ep in range(n_episodes):
        c = 0.1 + 0.8 * ep / n_episodes
        step = 50 * (ep + 1)
        if ep % 250 == 0:
            means = frontier(c, 3)
            covs = [np.array([[0.6, r], [r, 0.08]]) for r in rng.uniform(-0.15, 0.15, 3)]
            gmm = {"means": means.tolist(), "covariances": [cv.tolist() for cv in covs],
                   "weights": [1 / 3] * 3, "lp": rng.uniform(0.05, 0.6, 3).round(3).tolist()}
            run.events.append(("teacher", step - 50 if ep else 0, ep, {"gmm": gmm}))
        if rng.random() < 0.2:
            task = rng.uniform(low, high)
        else:
            k = rng.integers(3)
            task = np.clip(rng.multivariate_normal(gmm["means"][k], gmm["covariances"][k]), low, high)
        ret = float(100 / (1 + np.exp(-12 * (c - difficulty(task)))) + rng.normal(0, 5))
        rec = {"episode": ep, "step": step, "env": 0, "task": task.tolist(), "score": ret, "return": ret,
               "length": 200, "success": ret > 70}
        run.events.append(("episodes", step, [rec]))
        if (ep + 1) % 200 == 0:
            rets = [float(100 / (1 + np.exp(-12 * (c - difficulty(np.array(t)))))) for t in test_set]
            succ = [r > 70 for r in rets]
            run.events.append(("evaluation", step, {"step": step, "returns": rets, "successes": succ,
                                                    "mastered_pct": 100.0 * float(np.mean(succ))}))
    return run


if __name__ == "__main__":  # python -m tests.fake_runs OUT_DIR: write the demo run directory
    import sys

    print(write_run_dir(make_demo_run(), sys.argv[1]))
