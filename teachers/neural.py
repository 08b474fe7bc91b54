"""Shared machinery of the neural teachers (GoalGAN, Setter-Solver): devices, seeded layers.

Importing this module imports torch; :mod:`teachers` itself never does (the registry imports
the neural teachers' modules on first use). Randomness: every weight and every noise draw
comes from the teacher's own ``np.random.Generator`` (``Teacher.rng``) and is copied into
tensors, so the global torch RNG is never touched or read, a teacher's state needs no torch
generator, and a CPU and a CUDA teacher with the same seed draw the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["check_device", "is_device", "linear", "to_numpy", "to_tensor"]


def is_device(value: Any) -> bool:
    """Whether ``value`` is a string torch parses as a device (``"cpu"``, ``"cuda"``, ``"cuda:1"``)."""
    if not isinstance(value, str):
        return False
    try:
        torch.device(value)
    except (RuntimeError, ValueError):
        return False
    return True


def check_device(value: str, owner: str) -> torch.device:
    """The torch device named ``value``.

    :raises ValueError: for a CUDA device when CUDA is not available.
    """
    device = torch.device(value)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{owner}: device {value!r} requested but CUDA is not available (use device='cpu')")
    return device


def linear(
    n_in: int,
    n_out: int,
    rng: np.random.Generator,
    init: str,
    device: torch.device,
    dtype: torch.dtype,
) -> nn.Linear:
    """An ``nn.Linear`` whose weight is drawn from ``rng`` (bias zero), never from torch's RNG.

    :param init: ``"glorot_uniform"`` (TF1's ``xavier_initializer``: U(±√(6/(fan_in+fan_out))))
        or ``"truncated_normal"`` (sonnet's ``Linear`` default: N(0, 1/fan_in) truncated at
        two standard deviations).
    """
    layer = torch.nn.utils.skip_init(nn.Linear, n_in, n_out, device=device, dtype=dtype)
    if init == "glorot_uniform":
        bound = np.sqrt(6.0 / (n_in + n_out))
        w = rng.uniform(-bound, bound, size=(n_out, n_in))
    elif init == "truncated_normal":
        w = rng.standard_normal((n_out, n_in))
        bad = np.abs(w) > 2.0
        while bad.any():  # resample outside ±2 std, as tf.truncated_normal_initializer
            w[bad] = rng.standard_normal(int(bad.sum()))
            bad = np.abs(w) > 2.0
        w /= np.sqrt(max(n_in, 1))
    else:  # pragma: no cover (internal)
        raise ValueError(f"unknown init {init!r}")
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(w, dtype=dtype))
        layer.bias.zero_()
    return layer


def to_tensor(x: np.ndarray | Sequence[float], device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """A numpy array as a tensor on ``device`` (a copy: read-only arrays, such as broadcasts
    and restored state, are fine)."""
    return torch.tensor(np.asarray(x), dtype=dtype, device=device)


def to_numpy(x: torch.Tensor) -> np.ndarray:
    """A tensor as a float64 numpy array (a copy, on the CPU)."""
    return x.detach().to("cpu", torch.float64).numpy().copy()
