"""The package layout's promises: what importing a package pulls in, and what it never does."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "stable_baselines3", "wandb", "ray")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys; {code}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("code", ["import teachers, students.simulated", "import teachers.validation", "import envs"])
def test_light_packages_import_no_heavy_dependency(code):
    heavy = _imported_after(code) & set(HEAVY)
    assert not heavy, f"`{code}` imports {sorted(heavy)}"


def test_teachers_never_imports_envs_or_students():
    modules = _imported_after("import teachers; teachers.available()")
    assert not modules & {"envs", "students"}


def test_envs_never_imports_teachers_or_students():
    assert not _imported_after("import envs") & {"teachers", "students"}
