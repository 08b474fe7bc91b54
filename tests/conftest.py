"""Shared fixtures."""

from __future__ import annotations

import os

import pytest

ENV = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "MPLBACKEND": "Agg",
       "WANDB_DISABLE_GIT": "true", "WANDB_CONSOLE": "off"}


@pytest.fixture(scope="module")
def wandb_env(tmp_path_factory):
    """W&B offline, silent, with its home in a temporary folder."""
    saved = {k: os.environ.get(k) for k in [*ENV, "WANDB_DIR"]}
    os.environ.update(ENV)
    os.environ["WANDB_DIR"] = str(tmp_path_factory.mktemp("wandb_home"))
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
