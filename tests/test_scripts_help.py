"""Every command-line script answers ``--help`` (argparse help strings are %-formatted, so a
stray ``%`` in one breaks ``--help`` only when it is asked for)."""

from __future__ import annotations

import subprocess
import sys

from tests.scripts import SCRIPTS


def test_every_script_answers_help():
    scripts = sorted(SCRIPTS.glob("*.py"))
    assert len(scripts) >= 20
    # All at once: each start is mostly imports, which the 2 cores overlap.
    procs = {
        path.name: subprocess.Popen([sys.executable, str(path), "--help"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        for path in scripts
    }
    failed = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        if proc.returncode != 0 or "usage:" not in out:
            failed[name] = (proc.returncode, err[-500:])
    assert not failed, failed
