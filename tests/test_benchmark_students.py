"""scripts/benchmark_students.py on CPU with tiny settings: what it writes."""

from __future__ import annotations

import json

import pytest
import torch

from tests.scripts import load_script


def test_benchmark_students_writes_json_and_markdown(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same output on a GPU machine
    script = load_script("benchmark_students")
    out = tmp_path / "speed"
    argv = ["--steps", "128", "--n-envs", "2", "--algos", "ppo", "sac", "--devices", "cpu", "cuda",
            "--net-arch", "16", "--out", str(out)]
    assert script.main(argv) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    rows = {(r["algo"], r["device"], r["n_envs"], r["vec_env"]): r for r in report["results"]}
    assert set(rows) == {(a, "cpu", n, v) for a in ("ppo", "sac") for n, v in ((1, "dummy"), (2, "subproc"))}
    for row in rows.values():
        assert row["steps"] >= 128 and row["seconds"] > 0
        assert row["steps_per_s"] == pytest.approx(row["steps"] / row["seconds"], rel=0.01)
    machine = report["machine"]
    assert machine["cpu_count"] >= 1 and machine["torch"] == torch.__version__
    assert machine["cuda_available"] is False and machine["cuda_devices"] == []
    assert any("cuda: skipped" in note for note in report["notes"])
    md = out.with_suffix(".md").read_text()
    assert "| sac | cpu | 2 | subproc |" in md and "| ppo | cpu | 1 | dummy |" in md
    assert "cuda: skipped" in md and f"torch {torch.__version__}" in md and "CUDA devices: none" in md


def test_benchmark_students_rejects_bad_sizes(tmp_path):
    script = load_script("benchmark_students")
    with pytest.raises(ValueError, match="--n-envs must be >= 1, got 0"):
        script.main(["--n-envs", "0", "--out", str(tmp_path / "x")])
