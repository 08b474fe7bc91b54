"""Run ``scripts/train.py`` as a child process, tagged so that every process it starts can be
found afterwards (the tag is an environment variable its workers inherit)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

TRAIN = Path(__file__).resolve().parents[1] / "scripts" / "train.py"
TAG_VAR = "TEACHRL_TEST_TAG"


def tagged_env(tag: str) -> dict[str, str]:
    """The environment of a tagged child: this one, W&B off, plus ``TEACHRL_TEST_TAG=tag``."""
    return {**os.environ, TAG_VAR: tag, "WANDB_MODE": "disabled", "WANDB_SILENT": "true"}


def new_tag() -> str:
    return uuid.uuid4().hex


def tagged_pids(tag: str) -> list[int]:
    """Live processes (not zombies) whose environment holds ``tag``."""
    needle = f"{TAG_VAR}={tag}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    pids.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return pids


def wait_no_tagged(tag: str, timeout: float = 3.0) -> list[int]:
    """Wait until no tagged process is left (helpers such as the fork server exit when their
    parent does, a moment later); return those still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    while (left := tagged_pids(tag)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def run_train(args: list[str], tag: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """``python scripts/train.py *args`` to completion (text output captured)."""
    return subprocess.run(
        [sys.executable, str(TRAIN), *args], env=tagged_env(tag), capture_output=True, text=True,
        timeout=timeout, check=False,
    )
