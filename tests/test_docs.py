"""The documentation: its Python examples run as written, and every committed result is linked."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks(path: Path) -> list[str]:
    """The ```python blocks of a Markdown file, in order."""
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


BLOCKS = [(page, i) for page in PAGES for i in range(len(python_blocks(page)))]


@pytest.mark.parametrize(("page", "index"), BLOCKS, ids=[f"{p.relative_to(ROOT)}#{i}" for p, i in BLOCKS])
def test_python_example_runs(page, index, tmp_path, monkeypatch):
    from teachers import registry

    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # examples may register teachers
    import gymnasium as gym

    import envs  # noqa: F401  (registered for good: only what an example adds is removed)

    code = python_blocks(page)[index]
    before = set(gym.registry)
    try:
        exec(compile(code, f"{page}#{index}", "exec"), {"__name__": "__main__"})  # as a script
    finally:
        for env_id in set(gym.registry) - before:  # examples may register envs
            gym.registry.pop(env_id)


def test_every_page_has_examples_checked():
    assert len(BLOCKS) >= 7  # README, teachers, custom teacher, environments, training


def test_results_page_links_every_committed_result():
    page = (ROOT / "docs" / "results.md").read_text()
    reports = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "benchmarks" / "results").rglob("*.md"))
    assert reports
    missing = [r for r in reports if f"]({r})" not in page]
    assert not missing, f"docs/results.md does not link {missing}"


def test_readme_is_short():
    assert len((ROOT / "README.md").read_bytes()) <= 12 * 1024


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    command = ci.replace("python -m pip install -q", "pip install")
    assert command in readme, f"README's test command differs from .ci/run's: {ci!r}"
