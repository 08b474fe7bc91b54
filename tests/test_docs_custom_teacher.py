"""The docs' custom-teacher example runs as written, passes check_teacher and behaves."""

import re
from pathlib import Path

import numpy as np
from gymnasium import spaces

import teachers
from teachers import registry

README = Path(__file__).resolve().parents[1] / "docs" / "custom-teacher.md"


def _python_block_with(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    (block,) = [b for b in blocks if marker in b]
    return block


def test_readme_custom_teacher_example(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    code = _python_block_with('@teachers.register("best-neighbour")')
    assert len(code.strip().splitlines()) <= 30
    exec(compile(code, str(README), "exec"), {})  # runs check_teacher itself
    t = teachers.make("best-neighbour", spaces.Box(np.zeros(2), np.ones(2)), seed=0, explore=0.0)
    t.update(np.array([0.9, 0.1]), 5.0)
    samples = np.array([t.sample() for _ in range(200)])
    assert np.abs(samples.mean(0) - [0.9, 0.1]).max() < 0.05  # it exploits the best task
