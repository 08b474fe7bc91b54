"""The user's path, as the README and the docs write it: each command is read from its page
and run as written, with placeholders filled in and flags appended only to make it small.

Covered: the main job, plot, resume; a custom teacher via ``--teacher module:Class`` and its
resume; a stock gymnasium env through ``envs.register_task_env`` trained with PPO; and the
tiny sweep on Ray (slow) and on the local pool.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: Appended to training commands: a few thousand steps instead of hundreds of thousands.
SMALL = ["--steps", "1024", "--n-envs", "2", "--student-params", "n_steps=256", "--eval-tasks", "4",
         "--eval-every", "512", "--checkpoint-every", "512"]  # fmt: skip


def doc_command(page: str, prefix: str) -> list[str]:
    """The first command of a ```bash block of ``page`` starting with ``prefix`` (after any
    ``&&``), without its trailing comment, split into words."""
    text = (ROOT / page).read_text()
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                part = part.split("  #")[0].strip()
                if part.startswith(prefix):
                    return shlex.split(part)
    raise AssertionError(f"{page} has no command starting with {prefix!r}")


def run(words: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a documented command: ``python`` is this interpreter, ``scripts/`` this checkout's."""
    words = [sys.executable if w == "python" else w for w in words]
    words = [str(ROOT / w.split("teachrl/", 1)[1]) if w.startswith("path/to/teachrl/") else w for w in words]
    words = [str(ROOT / w) if w.startswith(("scripts/", "configs/")) else w for w in words]
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_DIR": str(cwd), "MPLBACKEND": "Agg"}
    out = subprocess.run(words, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert out.returncode == 0, f"{' '.join(words)}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


def fill(words: list[str], **values: str) -> list[str]:
    return [values.get(w, w) for w in words]


def test_readme_main_job_plot_and_resume(tmp_path):
    main = doc_command("README.md", "python scripts/train.py")
    assert main == ["python", "scripts/train.py"]  # the main job is the defaults
    run_dir = tmp_path / "run"
    out = run([*main, *SMALL, "--run-dir", str(run_dir)], tmp_path)
    assert f"Results in {run_dir}" in out.stdout and (run_dir / "wandb").is_dir()  # W&B offline by default
    assert "wandb:" not in out.stdout + out.stderr  # ... and quiet

    plot = run(fill(doc_command("README.md", "python scripts/plot_run.py"), RUN_DIR=str(run_dir)), tmp_path)
    assert (run_dir / "plots" / "curriculum.gif").stat().st_size > 1000, plot.stdout

    rows = (run_dir / "history.jsonl").read_text().splitlines()
    resume = fill(doc_command("README.md", "python scripts/train.py --resume"), RUN_DIR=str(run_dir), N="2048")
    run(resume, tmp_path)
    more = (run_dir / "history.jsonl").read_text().splitlines()
    assert len(more) > len(rows) and more[: len(rows)] == rows
    assert json.loads((run_dir / "DONE").read_text())["steps"] >= 2048


def test_custom_teacher_module_class_and_resume(tmp_path):
    page = (ROOT / "docs" / "custom-teacher.md").read_text()
    (code,) = [b for b in re.findall(r"```python\n(.*?)```", page, flags=re.S) if "class BestNeighbourTeacher" in b]
    (tmp_path / "my_teachers.py").write_text(code)
    run(doc_command("docs/custom-teacher.md", "python my_teachers.py"), tmp_path)  # the checks pass
    run_dir = tmp_path / "run"
    train = doc_command("docs/custom-teacher.md", "python path/to/teachrl/scripts/train.py --teacher")
    run([*train, *SMALL, "--run-dir", str(run_dir), "--wandb-mode", "disabled"], tmp_path)
    assert "teacher: my_teachers:BestNeighbourTeacher" in (run_dir / "config.yaml").read_text()
    resume = fill(doc_command("docs/custom-teacher.md", "python path/to/teachrl/scripts/train.py --resume"),
                  RUN_DIR=str(run_dir))
    run([*resume, "--steps", "2048"], tmp_path)
    assert json.loads((run_dir / "DONE").read_text())["steps"] >= 2048


def test_stock_gymnasium_env_through_the_wrapper_trains_ppo(tmp_path):
    page = (ROOT / "docs" / "custom-env.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    (tmp_path / "my_envs.py").write_text(code)
    train = doc_command("docs/custom-env.md", "python scripts/train.py --env my_envs:")
    assert "--teacher" in train and train[train.index("--teacher") + 1] == "alp-gmm"
    run_dir = tmp_path / "run"
    # MountainCar's episodes last 999 steps: 4096 steps on 2 envs finish a few of them.
    run([*train, *SMALL, "--steps", "4096", "--run-dir", str(run_dir), "--wandb-mode", "disabled"], tmp_path)
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert history and all(0.0005 <= r["task"][0] <= 0.003 and 0.1 <= r["task"][1] <= 0.5 for r in history)
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["env"] == "my_envs:my/MountainCar-v0"


@pytest.mark.slow  # 30-50 s each; tests/test_sweep.py runs the real trainer on both backends by default
@pytest.mark.parametrize("backend", ["local", "ray"])
def test_tiny_sweep_and_report(tmp_path, backend):
    prefix = "python scripts/sweep.py configs/sweeps/tiny.yaml" + (" --backend ray" if backend == "ray" else " --workers")
    sweep = doc_command("docs/sweeps.md", prefix)
    out = run([*sweep, "--output-root", str(tmp_path / "tiny")], tmp_path, timeout=600)
    assert "done: 4, skipped: 0, resumed: 0, failed: 0" in out.stdout
    report = fill(doc_command("docs/sweeps.md", "python scripts/report.py"))
    run([report[0], report[1], str(tmp_path / "tiny")], tmp_path)
    assert "alp-gmm" in (tmp_path / "tiny" / "report" / "report.md").read_text()
