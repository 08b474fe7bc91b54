"""Run ``scripts/train.py`` and SIGKILL it at a chosen moment (used by tests/test_kill_resume.py).

    python tests/kill_launcher.py MODULE:ATTR N before|after -- <train.py arguments>

``MODULE:ATTR`` names a function or method (``students.checkpoint:_dump_pickle``,
``students.run_dir:RunDirectory.truncate``); the process kills itself with SIGKILL just
before or just after that function's ``N``-th call, so a kill lands deterministically inside
a checkpoint write, a truncation, a config rewrite, an evaluation...
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def install_kill(target: str, n: int, when: str) -> None:
    """Wrap ``target`` so that its ``n``-th call SIGKILLs this process ``when`` it runs."""
    module_name, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    calls = 0

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == n and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls == n and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapper)


def main(argv: list[str]) -> int:
    target, n, when, sep, *train_args = argv
    if sep != "--" or when not in ("before", "after"):
        raise SystemExit(__doc__)
    install_kill(target, int(n), when)
    from tests.scripts import load_script

    return load_script("train").main(train_args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
