"""The terrain CPPN of Parkour: a small fixed numpy network mapping ``(x, v)`` to ground and ceiling.

TeachMyAgent (``PCGAgents/CPPN/TanHSoftplusMixCPPN.py``) feeds the rows ``[i / 199, v1, v2, v3]``
(``i = 0..199``) through 4 hidden layers of 64 units without biases, with activations
tanh, softplus, tanh, softplus, and a linear output of 2 values (ground height, ceiling height)
per row. Its weights are a TF1 checkpoint initialised from a truncated normal of std 2; we do not
use it. Ours are drawn the same way from a fixed seed by ``scripts/make_parkour_cppn.py`` and
shipped as ``envs/parkour/data/cppn_weights.npz`` (12,672 floats, as TeachMyAgent's): the
terrains are of the same family but not TeachMyAgent's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["CPPN_LAYERS", "TerrainCPPN", "WEIGHTS_PATH", "make_weights"]

#: (fan-in, fan-out) of each weight matrix: input (x + 3-D task input), 4 hidden, output.
CPPN_LAYERS: tuple[tuple[int, int], ...] = ((4, 64), (64, 64), (64, 64), (64, 64), (64, 2))
WEIGHTS_PATH = Path(__file__).with_name("data") / "cppn_weights.npz"
_ACTIVATIONS = ("tanh", "softplus", "tanh", "softplus", "linear")


def make_weights(seed: int, std: float = 2.0) -> list[np.ndarray]:
    """Weight matrices drawn from a normal of std ``std`` truncated at two std (TF1's
    ``truncated_normal``, TeachMyAgent's initialiser).

    :param seed: seed of the ``np.random.Generator``.
    :param std: the normal's standard deviation.
    """
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in CPPN_LAYERS:
        w = rng.normal(0.0, std, size=(fan_in, fan_out))
        bad = np.abs(w) > 2 * std
        while bad.any():  # redraw outside two std, as truncated_normal does
            w[bad] = rng.normal(0.0, std, size=int(bad.sum()))
            bad = np.abs(w) > 2 * std
        weights.append(w)
    return weights


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


class TerrainCPPN:
    """Ground and ceiling heights (raw CPPN units) of a track of ``n_points`` points.

    :param weights: the 5 weight matrices (shapes :data:`CPPN_LAYERS`); default: the shipped file.
    :param n_points: points along the track (TeachMyAgent: 200, one per terrain step).
    """

    def __init__(self, weights: list[np.ndarray] | None = None, n_points: int = 200) -> None:
        if weights is None:
            weights = load_weights(WEIGHTS_PATH)
        shapes = tuple(np.shape(w) for w in weights)
        if shapes != CPPN_LAYERS:
            raise ValueError(f"CPPN weights must have shapes {CPPN_LAYERS}, got {shapes}")
        self.weights = [np.asarray(w, dtype=np.float64) for w in weights]
        self.n_points = n_points
        self._x = np.linspace(0.0, 1.0, n_points)[:, None]

    def generate(self, input_vector) -> np.ndarray:
        """``(n_points, 2)`` array: ground and ceiling heights for the 3-D ``input_vector``."""
        v = np.asarray(input_vector, dtype=np.float64).reshape(1, -1)
        h = np.hstack([self._x, np.repeat(v, self.n_points, axis=0)])
        for w, act in zip(self.weights, _ACTIVATIONS, strict=True):
            h = h @ w
            if act == "tanh":
                h = np.tanh(h)
            elif act == "softplus":
                h = _softplus(h)
        return h


def load_weights(path: Path) -> list[np.ndarray]:
    """The weight matrices stored in ``path`` (keys ``w0`` .. ``w4``)."""
    try:
        with np.load(path) as data:
            return [data[f"w{i}"] for i in range(len(CPPN_LAYERS))]
    except (OSError, KeyError) as err:
        raise ValueError(f"cannot read CPPN weights from {path}: {err}") from err
