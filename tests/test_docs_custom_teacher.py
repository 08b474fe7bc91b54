"""The docs' custom-teacher example: it runs as written, passes check_teacher, behaves, and
works as ``"my_teachers:BestNeighbourTeacher"`` in Python and in a sweep (train.py and its
resume: tests/test_docs_commands.py)."""

import json
import re
from pathlib import Path

import numpy as np
from gymnasium import spaces

import teachers
from students.experiments.sweep import SweepConfig, run_sweep
from teachers import registry

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "custom-teacher.md"
NAME = "my_teachers:BestNeighbourTeacher"


def _module_code() -> str:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    (block,) = [b for b in blocks if "class BestNeighbourTeacher" in b]
    return block


def test_custom_teacher_example(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    code = _module_code()
    assert len(code.strip().splitlines()) <= 40
    exec(compile(code, str(PAGE), "exec"), {"__name__": "__main__"})  # runs check_teacher itself
    t = teachers.make("best-neighbour", spaces.Box(np.zeros(2, np.float32), np.ones(2, np.float32)), seed=0, explore=0.0)
    t.update(np.array([0.9, 0.1]), 5.0)
    samples = np.array([t.sample() for _ in range(200)])
    assert np.abs(samples.mean(0) - [0.9, 0.1]).max() < 0.05  # it exploits the best task


def test_module_class_name_in_python(tmp_path, monkeypatch):
    (tmp_path / "my_teachers.py").write_text(_module_code())
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    t = teachers.make(NAME, spaces.Box(np.zeros(2, np.float32), np.ones(2, np.float32)), seed=0, explore=0.5)
    assert type(t).__name__ == "BestNeighbourTeacher" and t.explore == 0.5


def test_sweep_with_module_class_teacher(tmp_path, monkeypatch):
    (tmp_path / "my_teachers.py").write_text(_module_code())
    monkeypatch.chdir(tmp_path)  # the sweep is launched from the module's directory
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = SweepConfig.from_dict({
        "name": "custom", "output_root": str(tmp_path / "sweep"),
        "train": {"student": "ppo", "steps": 256, "n_envs": 2, "eval_every": 256, "eval_tasks": 4,
                  "student_params": {"n_steps": 128, "batch_size": 64, "n_epochs": 1}},
        "wandb": {"mode": "disabled"}, "envs": ["teachrl/PointGate-v0"],
        "teachers": [{"name": NAME, "params": {"explore": 0.5}}], "seeds": 1,
    })
    summary = run_sweep(cfg, workers=1, log=None)
    assert summary.ok, summary.format()
    (spec,) = cfg.expand()
    assert spec.run_dir == tmp_path / "sweep" / "PointGate-v0" / "my_teachers-BestNeighbourTeacher" / "seed0"
    assert json.loads((spec.run_dir / "evaluations.jsonl").read_text().splitlines()[-1])["step"] >= 256
