"""A stand-in for ``scripts/train.py`` in the sweep/report tests: same CLI (its parser), no RL.

It writes a contract-conformant run directory (``config.yaml``, ``test_set.json``,
``history.jsonl``, ``evaluations.jsonl``, ``checkpoints/``, ``DONE``) whose % mastered is a
deterministic function of (teacher, seed, step): :func:`fake_mastered_pct`.

``FAKE_TRAIN_CRASH="<substring of the run dir>@<k>"`` makes matching runs exit with status 3
right after their k-th evaluation (k = 0: before any checkpoint), unless resuming.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script by the sweeps

from students.cli import config_from_args  # noqa: E402
from tests.scripts import load_script  # noqa: E402

build_parser = load_script("train").build_parser

BASE_PCT = {"random": 10.0, "alp-gmm": 30.0}
FAKE_TRAINER = Path(__file__).resolve()


def tiny_sweep_dict(output_root, train_script=FAKE_TRAINER, **overrides) -> dict:
    """The tests' sweep: 2 teachers x 2 seeds, 4 evaluations, run by ``train_script``."""
    raw = {
        "name": "tiny-test",
        "output_root": str(output_root),
        "train": {"student": "ppo", "steps": 4096, "n_envs": 1, "eval_every": 1024, "eval_tasks": 16,
                  "student_params": {"n_steps": 256}},
        "wandb": {"mode": "disabled"},
        "envs": ["teachrl/PointGate-v0"],
        "teachers": ["random", {"name": "alp-gmm", "params": {"fit_rate": 50}}],
        "seeds": [0, 1],
        "train_command": ["{python}", str(train_script)],
    }  # fmt: skip
    raw.update(overrides)
    return raw


def fake_final_pct(teacher: str, seed: int) -> float:
    """Final % mastered of the fake run: a per-teacher base plus a per-seed offset."""
    base = BASE_PCT.get(teacher, 5.0 + zlib.crc32(teacher.encode()) % 30)
    return base + 4.0 * ((seed * 7) % 5)


def fake_mastered_pct(teacher: str, seed: int, step: int, steps: int) -> float:
    """% mastered at ``step`` of a ``steps``-long fake run (linear growth to the final value)."""
    return fake_final_pct(teacher, seed) * step / steps


def _append(path: Path, row: dict) -> None:
    with path.open("a") as f:
        f.write(json.dumps(row) + "\n")


def main(argv=None) -> int:
    a = build_parser().parse_args(argv)  # the real train.py parser: the same CLI by construction
    if a.resume:
        run_dir = Path(a.resume)
        cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
        start = json.loads((run_dir / "checkpoints" / "state.json").read_text())["eval_index"]
    else:
        cfg = config_from_args(a)  # the same keys as the real config.yaml
        cfg["task_space"] = {"low": [0.0, 0.0], "high": [1.0, 1.0], "names": ["x", "y"]}
        run_dir = Path(cfg["run_dir"])
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg))
        (run_dir / "test_set.json").write_text(json.dumps({"tasks": [[0.5, 0.5]] * cfg["eval_tasks"]}))
        start = 0

    teacher, seed, steps, every = cfg["teacher"], cfg["seed"], cfg["steps"], cfg["eval_every"]
    crash = os.environ.get("FAKE_TRAIN_CRASH", "")
    crash_at = None
    if crash and not a.resume:
        where, _, k = crash.rpartition("@")
        if where in run_dir.as_posix():
            crash_at = int(k)
    if crash_at == 0:
        print("fake crash before the first checkpoint", flush=True)
        return 3
    n_evals = steps // every
    for k in range(start + 1, n_evals + 1):
        step = k * every
        _append(run_dir / "history.jsonl", {"episode": k - 1, "step": step, "env": 0, "task": [0.5, 0.5],
                                            "score": float(k), "return": float(k), "length": 1,
                                            "success": False})  # fmt: skip
        pct = fake_mastered_pct(teacher, seed, step, steps)
        n = cfg["eval_tasks"]
        n_ok = round(pct / 100 * n)
        _append(run_dir / "evaluations.jsonl", {"step": step, "returns": [0.0] * n,
                                                "successes": [i < n_ok for i in range(n)],
                                                "mastered_pct": pct})  # fmt: skip
        (run_dir / "checkpoints").mkdir(exist_ok=True)
        (run_dir / "checkpoints" / "state.json").write_text(json.dumps({"eval_index": k}))
        print(f"fake step {step}: {pct:.2f}% mastered", flush=True)
        if crash_at == k:
            print("fake crash", flush=True)
            return 3
    (run_dir / "DONE").write_text(json.dumps({"step": steps, "resumed": bool(a.resume)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
