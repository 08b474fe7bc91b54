"""Named test sets shipped with the envs: fixed lists of tasks to evaluate students on.

``students`` uses them through ``RunConfig.eval_set`` (``--eval-set parkour_walking``). Each is a
CSV file whose header names the env's task dimensions and whose rows are tasks.

- ``parkour_walking``, ``parkour_climbing``, ``parkour_swimming``: 100 Parkour tasks each, one
  per kind of body (TeachMyAgent has one test set per embodiment type). TeachMyAgent's own
  (``teachers/test_sets/*_v1.pkl``) are binary pickles we cannot read; ours are drawn, seeded,
  from their published description by ``scripts/make_parkour_test_sets.py`` (see
  :data:`PARKOUR_TEST_SET_RULES`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["PARKOUR_TEST_SET_RULES", "TEST_SETS", "load_test_set", "make_parkour_test_set", "test_set_path"]

_DIR = Path(__file__).with_name("parkour") / "data" / "test_sets"

#: name -> (env id, CSV file).
TEST_SETS: dict[str, tuple[str, Path]] = {
    f"parkour_{kind}": ("teachrl/Parkour-v0", _DIR / f"{kind}.csv") for kind in ("walking", "climbing", "swimming")
}

#: How each Parkour test set is drawn (TeachMyAgent's description in our reference: walking:
#: water ~ 0, no creepers; climbing: water <= 0.8, creepers present; swimming: water 1). Each
#: value is ``(low, high)`` of a uniform draw per task dimension (``low == high``: fixed).
PARKOUR_TEST_SET_RULES: dict[str, dict[str, tuple[float, float]]] = {
    "walking": {"water_level": (0.0, 0.0), "creeper_height": (0.0, 0.0), "creeper_spacing": (5.0, 5.0)},
    "climbing": {"water_level": (0.0, 0.8), "creeper_height": (0.5, 4.0), "creeper_spacing": (0.0, 5.0)},
    "swimming": {"water_level": (1.0, 1.0), "creeper_height": (0.0, 0.0), "creeper_spacing": (5.0, 5.0)},
}
_CPPN_LOW, _CPPN_HIGH = (-0.35, 0.6, -0.1), (0.05, 1.0, 0.3)


def make_parkour_test_set(kind: str, n: int = 100, seed: int = 0) -> np.ndarray:
    """``(n, 6)`` Parkour tasks for ``kind`` (a key of :data:`PARKOUR_TEST_SET_RULES`): CPPN
    inputs uniform over their box, the other dimensions per the rule.

    :param seed: seed of the ``np.random.Generator``.
    """
    if kind not in PARKOUR_TEST_SET_RULES:
        raise ValueError(f"kind must be one of {sorted(PARKOUR_TEST_SET_RULES)}, got {kind!r}")
    rng = np.random.default_rng(seed)
    rule = PARKOUR_TEST_SET_RULES[kind]
    low = np.array([*_CPPN_LOW, *(rule[k][0] for k in ("water_level", "creeper_height", "creeper_spacing"))])
    high = np.array([*_CPPN_HIGH, *(rule[k][1] for k in ("water_level", "creeper_height", "creeper_spacing"))])
    return np.round(rng.uniform(low, high, size=(n, 6)), 4)


def test_set_path(name: str) -> Path:
    """The CSV file of the named test set."""
    if name not in TEST_SETS:
        raise ValueError(f"test set must be one of {sorted(TEST_SETS)}, got {name!r}")
    return TEST_SETS[name][1]


def load_test_set(name: str, task_space=None) -> np.ndarray:
    """The named test set as a float64 ``(n, d)`` array.

    :param task_space: if given, every task must lie in it (``ValueError`` naming the file and
        the row otherwise).
    """
    path = test_set_path(name)
    try:
        tasks = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot read test set {name!r} from {path}: {err}") from err
    if task_space is not None:
        if tasks.shape[1] != task_space.shape[0]:
            raise ValueError(f"test set {name!r} ({path}) has {tasks.shape[1]}-D tasks, the env's are {task_space.shape[0]}-D")
        bad = [i for i, t in enumerate(tasks) if not task_space.contains(t)]
        if bad:
            raise ValueError(f"test set {name!r} ({path}): row {bad[0] + 1} {tasks[bad[0]].tolist()} is outside the task space")
    return tasks
