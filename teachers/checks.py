"""``check_teacher``: the conformance suite every teacher must pass.

Modelled on scikit-learn's ``check_estimator``: run it on a new teacher class (or an
instance, whose parameters are reused) before registering it::

    from teachers import check_teacher
    check_teacher(MyTeacher)

Each check raises ``AssertionError`` with a message saying what broke.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

from teachers.base import Teacher

__all__ = ["check_teacher", "default_check_spaces"]


def default_check_spaces(cls: type[Teacher]) -> list[spaces.Space]:
    """Task spaces the suite exercises for ``cls``: one per supported space type.

    The Box has unequal, offset ranges so that unit-coordinate mistakes show.
    """
    out: list[spaces.Space] = []
    for kind in cls.supported_spaces:
        if issubclass(kind, spaces.Box):
            out.append(spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32)))
        elif issubclass(kind, spaces.Discrete):
            out.append(spaces.Discrete(5))
        elif issubclass(kind, spaces.MultiDiscrete):
            out.append(spaces.MultiDiscrete([3, 4]))
    return out


def _score_fn(space: spaces.Space) -> Callable[[Any, np.random.Generator], float]:
    """A deterministic-plus-noise student: score depends on the task, so teachers adapt."""

    def score(task: Any, rng: np.random.Generator) -> float:
        x = np.atleast_1d(np.asarray(task, dtype=np.float64))
        if isinstance(space, spaces.Box):
            x = (x - space.low) / (space.high - space.low)
        return float(100.0 * np.sin(3.0 * x.sum()) + 10.0 * rng.normal())

    return score


def _rollout(teacher: Teacher, n: int, rng: np.random.Generator) -> list[Any]:
    space = teacher.task_space
    score = _score_fn(space)
    tasks = []
    for i in range(n):
        task = teacher.sample()
        assert space.contains(np.asarray(task, dtype=space.dtype)), (
            f"{type(teacher).__name__}: sample {i} {task!r} is outside {space}"
        )
        tasks.append(np.array(task, copy=True))
        teacher.update(task, score(task, rng))
    return tasks


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def _expect_value_error(fn: Callable[[], Any], needle: str, what: str) -> None:
    try:
        fn()
    except ValueError as err:
        assert needle in str(err), f"{what}: ValueError {str(err)!r} does not name the bad value {needle!r}"
    else:
        raise AssertionError(f"{what}: no ValueError raised")


def _bad_tasks(space: spaces.Space) -> list[tuple[Any, str]]:
    if isinstance(space, spaces.Box):
        d = space.shape[0]
        return [
            (np.zeros(d + 1), "shape"),
            (space.high.astype(np.float64) + 1.0, "outside"),
            (np.full(d, np.nan), "nan"),
        ]
    if isinstance(space, spaces.Discrete):
        return [(space.start + space.n + 7, str(space.start + space.n + 7)), (0.5, "0.5")]
    return [(np.asarray(space.nvec) + 2, "outside"), (np.zeros(len(space.nvec) + 1, dtype=int), "shape")]


def check_teacher(
    teacher: Teacher | type[Teacher],
    task_spaces: list[spaces.Space] | None = None,
    n_episodes: int = 600,
) -> None:
    """Run the conformance checks on a teacher class or instance.

    :param teacher: a :class:`Teacher` subclass, or an instance whose ``get_params()`` are
        reused to build fresh copies on each space.
    :param task_spaces: spaces to test on; default :func:`default_check_spaces`.
    :param n_episodes: episodes fed per run; large enough to pass the fit/refresh points
        of the teacher's defaults (600 passes ALP-GMM's first two fits).
    :raises AssertionError: on the first failed check, with its reason.
    """
    cls = teacher if isinstance(teacher, type) else type(teacher)
    assert issubclass(cls, Teacher), f"{cls!r} is not a Teacher subclass"
    params: dict[str, Any] = {} if isinstance(teacher, type) else teacher.get_params()
    params.pop("seed", None)
    for space in task_spaces or default_check_spaces(cls):
        _check_on_space(cls, params, space, n_episodes)


def _check_on_space(cls: type[Teacher], params: dict[str, Any], space: spaces.Space, n: int) -> None:
    where = f"{cls.__name__} on {space}"

    def build(seed: int | None) -> Teacher:
        return cls(space, seed=seed, **params)

    # get_params mirrors the constructor and rebuilds an equal teacher.
    t = build(0)
    got = t.get_params()
    assert set(got) == set(cls._param_names()), f"{where}: get_params keys {sorted(got)} != constructor args"
    assert got["seed"] == 0, f"{where}: get_params()['seed'] is {got['seed']!r}, expected 0"
    cls(space, **got)

    # Samples stay inside the space, with the space's dtype and shape, across fits.
    rng = np.random.default_rng(1234)
    tasks = _rollout(t, n, rng)
    for task in tasks:
        assert space.contains(np.asarray(task, dtype=space.dtype)), f"{where}: sample {task!r} outside the space"
        assert np.shape(task) == space.shape, f"{where}: sample shape {np.shape(task)} != {space.shape}"
    assert t.n_updates == n and t.n_samples == n, f"{where}: counters {t.n_samples}/{t.n_updates} != {n}"

    # Seeded determinism; seed 0 is a seed; different seeds differ.
    a = _rollout(build(0), n, np.random.default_rng(5))
    b = _rollout(build(0), n, np.random.default_rng(5))
    assert _same(a, b), f"{where}: two teachers with seed=0 produced different sequences"
    c = _rollout(build(1), n, np.random.default_rng(5))
    assert not _same(a, c), f"{where}: seeds 0 and 1 produced identical sequences"

    # state_dict round trip (also through pickle): the restored teacher continues identically.
    ref = build(3)
    _rollout(ref, n // 2, np.random.default_rng(9))
    state = pickle.loads(pickle.dumps(ref.state_dict()))
    restored = build(99)
    restored.load_state_dict(state)
    tail_rng_a, tail_rng_b = np.random.default_rng(11), np.random.default_rng(11)
    tail_a = _rollout(ref, n // 2, tail_rng_a)
    tail_b = _rollout(restored, n // 2, tail_rng_b)
    assert _same(tail_a, tail_b), f"{where}: restored teacher diverged from the original"
    assert restored.n_updates == ref.n_updates, f"{where}: n_updates not restored"

    # Bad input raises a ValueError naming the value, and records nothing.
    t = build(0)
    before = t.n_updates
    good = t.sample()
    for bad in (float("nan"), float("inf"), -float("inf")):
        _expect_value_error(lambda bad=bad: t.update(good, bad), str(bad), f"{where}: score {bad}")
    _expect_value_error(lambda: t.update(good, "abc"), "abc", f"{where}: score 'abc'")
    for bad_task, needle in _bad_tasks(space):
        _expect_value_error(lambda bad_task=bad_task: t.update(bad_task, 1.0), needle, f"{where}: task {bad_task!r}")
    assert t.n_updates == before, f"{where}: a rejected update was counted"

    # Optional non-exploratory sampling stays in the space.
    try:
        task = t.non_exploratory_sample()
    except NotImplementedError:
        pass
    else:
        assert space.contains(np.asarray(task, dtype=space.dtype)), f"{where}: non-exploratory sample outside"

    # internals() is JSON-serializable.
    import json

    json.dumps(t.internals())
