"""Task spaces and the normalized coordinates teachers reason in."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

__all__ = ["UnitBox", "check_task_space", "describe_space"]


def check_task_space(
    task_space: spaces.Space, supported: tuple[type[spaces.Space], ...], owner: str
) -> None:
    """Raise a ``ValueError`` unless ``task_space`` is one of ``supported`` and usable.

    A ``Box`` must have finite bounds with ``low < high`` in every dimension.
    """
    if not isinstance(task_space, supported):
        names = ", ".join(s.__name__ for s in supported)
        raise ValueError(f"{owner} supports task spaces of type {names}; got {task_space!r}")
    if isinstance(task_space, spaces.Box):
        low, high = task_space.low, task_space.high
        if task_space.shape is None or len(task_space.shape) != 1:
            raise ValueError(f"task space must be a 1-D Box, got shape {task_space.shape}")
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError(f"task space bounds must be finite, got low={low}, high={high}")
        if np.any(high <= low):
            bad = np.flatnonzero(high <= low).tolist()
            raise ValueError(f"task space needs low < high; dimensions {bad} have low={low[bad]}, high={high[bad]}")


def describe_space(space: spaces.Space) -> dict:
    """A plain (picklable, comparable) description of a task space, stored in teacher states.

    ``{"type": "Box", "shape": [...], "dtype": "float32", "low": [...], "high": [...]}``,
    ``{"type": "Discrete", "n": ..., "start": ...}`` or ``{"type": "MultiDiscrete", "nvec":
    [...], "start": [...], "dtype": ...}``; other spaces by ``repr``.
    """
    if isinstance(space, spaces.Box):
        return {
            "type": "Box", "shape": list(space.shape), "dtype": str(space.dtype),
            "low": np.asarray(space.low).tolist(), "high": np.asarray(space.high).tolist(),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {
            "type": "MultiDiscrete", "nvec": np.asarray(space.nvec).tolist(),
            "start": np.asarray(space.start).tolist(), "dtype": str(space.dtype),
        }
    return {"type": type(space).__name__, "repr": repr(space)}


class UnitBox:
    """Affine map between a ``Box`` task space and the unit cube ``[0, 1]^d``.

    :param space: a 1-D ``Box`` with finite bounds.
    """

    def __init__(self, space: spaces.Box) -> None:
        self.low = np.asarray(space.low, dtype=np.float64)
        self.high = np.asarray(space.high, dtype=np.float64)
        self.range = self.high - self.low
        self.dim = int(self.low.shape[0])
        # Acceptance bounds of a task: float32 rounding of the bounds must not reject a task
        # sampled from the space.
        tol = 1e-5 * np.maximum(1.0, np.abs(self.range))
        self.low_tol = self.low - tol
        self.high_tol = self.high + tol

    def to_unit(self, task: np.ndarray) -> np.ndarray:
        """Raw task (``(d,)`` or ``(n, d)``) → unit coordinates."""
        return (np.asarray(task, dtype=np.float64) - self.low) / self.range

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Unit coordinates → raw task, clipped into the space."""
        u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        return self.low + u * self.range
