"""The conformance suite every teacher must pass, as named checks.

Modelled on scikit-learn's ``check_estimator`` / ``parametrize_with_checks``. Run all checks
on a new teacher class (or an instance, whose parameters are reused) before registering it::

    from teachers import check_teacher
    check_teacher(MyTeacher)

or, one pytest test per (teacher, check)::

    from teachers.checks import parametrize_with_checks

    @parametrize_with_checks([MyTeacher, MyTeacher(space, fit_rate=50)])
    def test_teacher(teacher, check):
        check(teacher)

:func:`teacher_checks` yields the ``(name, check)`` pairs; each check takes the teacher
(class or instance) and raises ``AssertionError`` saying what broke. The checks: parameters
(``get_params`` mirrors the constructor, every parameter has a declared constraint, every
invalid value is a ``ValueError`` naming parameter and value), sampling (samples in the
space, seeded determinism, non-exploratory samples, JSON internals), input validation, the
feedback hooks (each feedback in ``requires`` is fed, refused when missing or bad; feedback a
teacher does not require changes nothing; teachers with ``requires_value_fn`` get the checks'
value function) and state (round trip, restore at many points of the teacher's life,
foreign states refused).
"""

from __future__ import annotations

import copy
import functools
import json
import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from teachers.base import Teacher
from teachers.spaces import describe_space
from teachers.state import same_value
from teachers.validation import invalid_values, short_repr

__all__ = [
    "check_bad_inputs_rejected",
    "check_constraints_cover_params",
    "check_feedback",
    "check_foreign_state_rejected",
    "check_get_params",
    "check_internals_json",
    "check_invalid_hyperparameters",
    "check_non_exploratory_sample",
    "check_restore_anywhere",
    "check_samples_in_space",
    "check_seeded_determinism",
    "check_state_round_trip",
    "check_teacher",
    "default_check_spaces",
    "equip",
    "feedback_for",
    "parametrize_with_checks",
    "same_state",
    "teacher_checks",
]

TeacherLike = Teacher | type[Teacher]


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


# ---------------------------------------------------------------------- helpers
def _split(teacher: TeacherLike) -> tuple[type[Teacher], dict[str, Any]]:
    """The class, and the parameters to reuse (none for a class; the seed never)."""
    cls = teacher if isinstance(teacher, type) else type(teacher)
    assert issubclass(cls, Teacher), f"{cls!r} is not a Teacher subclass"
    params: dict[str, Any] = {} if isinstance(teacher, type) else teacher.get_params()
    params.pop("seed", None)
    return cls, params


def _space_of(teacher: TeacherLike, task_space: spaces.Space | None) -> spaces.Space:
    if task_space is not None:
        return task_space
    if isinstance(teacher, Teacher):
        return teacher.task_space
    return default_check_spaces(teacher)[0]


def _build(teacher: TeacherLike, space: spaces.Space, seed: int | None = 0, **override: Any) -> Teacher:
    cls, params = _split(teacher)
    return _equip(cls(space, seed=seed, **{**params, **override}))


def equip(teacher: Teacher) -> Teacher:
    """Give a teacher with ``requires_value_fn`` the checks' value function (as the loop does
    after building or restoring one); return it. Tests that drive teachers by hand use it
    with :func:`feedback_for`."""
    if teacher.requires_value_fn:
        teacher.set_value_fn(functools.partial(_expected_scores, teacher.task_space))
    return teacher


_equip = equip


def feedback_for(teacher: Teacher, task: Any, score: float, steps: int = 100) -> dict[str, Any]:
    """Plausible feedback of one episode for what ``teacher.requires`` names, derived from a
    valid score: ``success = score > 0``, ``value = score``, ``steps``. For tests that call
    ``update`` by hand on any registered teacher."""
    given = {"success": bool(score > 0), "value": float(score), "steps": int(steps)}
    return {k: v for k, v in given.items() if k in teacher.requires}


def _unit_sum(space: spaces.Space, tasks: np.ndarray) -> np.ndarray:
    """Σ of each task's unit-cube coordinates (raw coordinates for discrete spaces)."""
    x = np.asarray(tasks, dtype=np.float64).reshape(len(tasks), -1)
    if isinstance(space, spaces.Box):
        x = (x - space.low.astype(np.float64)) / (space.high.astype(np.float64) - space.low.astype(np.float64))
    return x.sum(axis=1)


def _expected_scores(space: spaces.Space, tasks: np.ndarray) -> np.ndarray:
    """The checks' value function: :class:`_Student`'s noise-free score 100·sin(3·Σu)."""
    return 100.0 * np.sin(3.0 * _unit_sum(space, tasks))


def _trained(teacher: TeacherLike, space: spaces.Space, n: int) -> Teacher:
    """A seed-0 teacher after ``n`` episodes with the deterministic :class:`_Student`."""
    t = _build(teacher, space, seed=0)
    _rollout(t, n, _Student(space, n))
    return t


def _where(teacher: TeacherLike, space: spaces.Space) -> str:
    return f"{_split(teacher)[0].__name__} on {space}"


class _Student:
    """A deterministic student: score 100·sin(3·Σu) plus noise fixed per episode index, so
    any two runs that see the same tasks get the same scores."""

    def __init__(self, space: spaces.Space, n: int, seed: int = 1234) -> None:
        self.space = space
        self.noise = 10.0 * np.random.default_rng(seed).normal(size=n)

    def __call__(self, task: Any, i: int) -> float:
        x = np.atleast_1d(np.asarray(task, dtype=np.float64))
        if isinstance(self.space, spaces.Box):
            x = (x - self.space.low) / (self.space.high - self.space.low)
        return float(100.0 * np.sin(3.0 * x.sum()) + self.noise[i % len(self.noise)])

    def feedback(self, task: Any, i: int, score: float) -> dict[str, Any]:
        """The episode's other feedback: success when the score is above 50, the value
        estimate of the noise-free score, a length that varies with the episode."""
        value = float(_expected_scores(self.space, np.atleast_1d(np.asarray(task))[None])[0])
        return {"success": score > 50.0, "value": value, "steps": 20 + (i * 37) % 180}


def _rollout(teacher: Teacher, n: int, student: _Student, start: int = 0, extra: bool = False) -> list[Any]:
    """``n`` episodes; the update gets the feedback the teacher requires (all of it with
    ``extra``)."""
    space = teacher.task_space
    tasks = []
    for i in range(start, start + n):
        task = teacher.sample()
        assert space.contains(np.asarray(task, dtype=space.dtype)), (
            f"{type(teacher).__name__}: sample {i} {task!r} is outside {space}"
        )
        tasks.append(np.array(task, copy=True))
        score = student(task, i)
        feedback = student.feedback(task, i, score)
        if not extra:
            feedback = {k: v for k, v in feedback.items() if k in teacher.requires}
        teacher.update(task, score, **feedback)
    return tasks


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def _expect_value_error(fn: Callable[[], Any], needles: Sequence[str], what: str) -> None:
    try:
        fn()
    except ValueError as err:
        for needle in needles:
            assert needle in str(err), f"{what}: ValueError {str(err)!r} does not name {needle!r}"
    else:
        raise AssertionError(f"{what}: no ValueError raised")


def _frozen(teacher: Teacher) -> bytes:
    return pickle.dumps(teacher.state_dict())


def same_state(a: Any, b: Any) -> bool:
    """Whether two states are identical: same structure, types, dtypes and values (NaN
    equal to NaN; arrays bit for bit in value, not in memory layout)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    return bool(a == b)


# ---------------------------------------------------------------------- parameter checks
def check_get_params(teacher: TeacherLike, task_space: spaces.Space | None = None) -> None:
    """``get_params()`` mirrors the constructor (seed included) and rebuilds an equal teacher."""
    cls, _ = _split(teacher)
    space = _space_of(teacher, task_space)
    where = _where(teacher, space)
    t = _build(teacher, space, seed=0)
    got = t.get_params()
    assert set(got) == set(cls._param_names()), f"{where}: get_params keys {sorted(got)} != constructor args"
    assert got["seed"] == 0, f"{where}: get_params()['seed'] is {got['seed']!r}, expected 0"
    again = cls(space, **got)
    assert same_state(again.state_dict(), t.state_dict()), f"{where}: cls(space, **get_params()) is not an identical teacher"


def check_constraints_cover_params(teacher: TeacherLike, task_space: spaces.Space | None = None) -> None:
    """Every constructor parameter has a declared constraint (``_parameter_constraints``)."""
    cls, _ = _split(teacher)
    missing = sorted(set(cls._param_names()) - set(cls.parameter_constraints()))
    assert not missing, f"{cls.__name__}: parameters {missing} have no entry in _parameter_constraints"


def check_invalid_hyperparameters(teacher: TeacherLike, task_space: spaces.Space | None = None) -> None:
    """Every value of :func:`~teachers.validation.invalid_values` for every parameter is a
    ``ValueError`` naming the parameter and the value."""
    cls, params = _split(teacher)
    space = _space_of(teacher, task_space)
    constraints = cls.parameter_constraints()
    for name in cls._param_names():
        for bad in invalid_values(constraints.get(name, [])):
            kwargs = {**params, "seed": 0, name: bad}
            _expect_value_error(
                lambda kwargs=kwargs: cls(space, **kwargs), [name, short_repr(bad)], f"{cls.__name__}({name}={bad!r})"
            )


# ---------------------------------------------------------------------- sampling checks
def check_samples_in_space(teacher: TeacherLike, task_space: spaces.Space | None = None, n_episodes: int = 600) -> None:
    """Samples stay inside the space with its dtype and shape, across fits; counters count."""
    space = _space_of(teacher, task_space)
    where = _where(teacher, space)
    t = _build(teacher, space, seed=0)
    for task in _rollout(t, n_episodes, _Student(space, n_episodes)):
        assert np.shape(task) == space.shape, f"{where}: sample shape {np.shape(task)} != {space.shape}"
    assert t.n_updates == n_episodes and t.n_samples == n_episodes, (
        f"{where}: counters {t.n_samples}/{t.n_updates} != {n_episodes}"
    )


def check_seeded_determinism(teacher: TeacherLike, task_space: spaces.Space | None = None, n_episodes: int = 600) -> None:
    """Two teachers with seed 0 produce the same sequence; seeds 0 and 1 do not."""
    space = _space_of(teacher, task_space)
    where = _where(teacher, space)
    student = _Student(space, n_episodes, seed=5)
    a = _rollout(_build(teacher, space, seed=0), n_episodes, student)
    b = _rollout(_build(teacher, space, seed=0), n_episodes, student)
    assert _same(a, b), f"{where}: two teachers with seed=0 produced different sequences"
    c = _rollout(_build(teacher, space, seed=1), n_episodes, student)
    assert not _same(a, c), f"{where}: seeds 0 and 1 produced identical sequences"


def check_non_exploratory_sample(teacher: TeacherLike, task_space: spaces.Space | None = None, n_episodes: int = 600) -> None:
    """``non_exploratory_sample()`` (where implemented) stays in the space, at the start and
    after ``n_episodes``, and does not count as a sample."""
    space = _space_of(teacher, task_space)
    where = _where(teacher, space)
    t = _build(teacher, space, seed=0)
    for stage in ("start", "end"):
        if stage == "end":
            _rollout(t, n_episodes, _Student(space, n_episodes))
        n = t.n_samples
        try:
            task = t.non_exploratory_sample()
        except NotImplementedError:
            continue
        assert space.contains(np.asarray(task, dtype=space.dtype)), f"{where}: non-exploratory sample {task!r} outside"
        assert t.n_samples == n, f"{where}: non_exploratory_sample() counted as a sample"


def check_internals_json(teacher: TeacherLike, task_space: spaces.Space | None = None, n_episodes: int = 600) -> None:
    """``internals()`` is JSON-serializable at the start and after ``n_episodes``."""
    space = _space_of(teacher, task_space)
    t = _build(teacher, space, seed=0)
    json.dumps(t.internals())
    _rollout(t, n_episodes, _Student(space, n_episodes))
    json.dumps(t.internals())


# ---------------------------------------------------------------------- input checks
def bad_scores() -> list[Any]:
    """Scores every teacher must refuse."""
    return [float("nan"), float("inf"), -float("inf"), "abc", "1.5", True, None, [1.0], (1.0,), np.array([1.0]),
            {"score": 1.0}, 1 + 2j, 10**400, -(10**400)]


def bad_tasks(space: spaces.Space) -> list[Any]:
    """Tasks outside, or not of, ``space`` that every teacher must refuse."""
    common = ["abc", None, True, object(), {"x": 1}]
    if isinstance(space, spaces.Box):
        d = space.shape[0]
        return common + [
            np.zeros(d + 1), space.high.astype(np.float64) + 1.0, np.full(d, np.nan), ["0.5"] * d,
            [True] * d, np.zeros((d, 1)), [[0.0]] * d, [0.0, [0.0]],
        ]
    if isinstance(space, spaces.Discrete):
        return common + [space.start + space.n + 7, space.start - 1, 0.5, float(space.start), "1", [space.start] * 2]
    nvec = np.asarray(space.nvec)
    return common + [nvec + 2, np.zeros(len(nvec) + 1, dtype=int), nvec * 0.5, ["0"] * len(nvec), [True] * len(nvec)]


def check_bad_inputs_rejected(teacher: TeacherLike, task_space: spaces.Space | None = None) -> None:
    """Bad scores and tasks raise a ``ValueError`` naming the value and change nothing."""
    space = _space_of(teacher, task_space)
    where = _where(teacher, space)
    t = _trained(teacher, space, 20)
    good = t.sample()
    before = _frozen(t)
    for bad in bad_scores():
        _expect_value_error(lambda bad=bad: t.update(good, bad), [short_repr(bad)], f"{where}: score {bad!r}")
    for bad in bad_tasks(space):
        _expect_value_error(lambda bad=bad: t.update(bad, 1.0), [short_repr(bad)], f"{where}: task {bad!r}")
    assert _frozen(t) == before, f"{where}: a rejected update changed the teacher's state"


def bad_feedback() -> dict[str, list[Any]]:
    """Feedback values every teacher must refuse, by name."""
    common = ["abc", [1.0], {"x": 1}, object(), 1 + 2j]
    return {
        "success": [*common, 0.5, 2, -1, float("nan"), "True"],
        "value": [*common, float("nan"), float("inf"), True, 10**400],
        "steps": [*common, 0, -3, 1.5, 2.0, True, float("nan")],
    }


def check_feedback(teacher: TeacherLike, task_space: spaces.Space | None = None, n_episodes: int = 60) -> None:
    """The feedback hooks: an update without a required feedback (``requires``) or with a
    bad one (any, required or not) is a ``ValueError`` naming it that changes nothing;
    feedback the teacher does not require changes nothing (the same tasks follow with and
    without it); ``requires`` names only known feedback."""
    from teachers.base import FEEDBACK

    cls, _ = _split(teacher)
    space = _space_of(teacher, task_space)
    where = _where(teacher, space)
    assert isinstance(cls.requires, frozenset) and cls.requires <= set(FEEDBACK), (
        f"{where}: requires {cls.requires!r} is not a frozenset of {FEEDBACK}"
    )
    t = _trained(teacher, space, 20)
    task = t.sample()
    student = _Student(space, 1)
    score = student(task, 0)
    full = student.feedback(task, 0, score)
    before = _frozen(t)
    for name in sorted(cls.requires):
        partial = {k: v for k, v in full.items() if k != name}
        _expect_value_error(lambda p=partial: t.update(task, score, **p), [name], f"{where}: update without {name}")
    for name, values in bad_feedback().items():
        for bad in values:
            kwargs = {**full, name: bad}
            _expect_value_error(
                lambda k=kwargs: t.update(task, score, **k), [name, short_repr(bad)], f"{where}: {name}={bad!r}"
            )
    assert _frozen(t) == before, f"{where}: a refused update changed the teacher's state"
    student = _Student(space, n_episodes, seed=9)
    plain = _rollout(_build(teacher, space, seed=0), n_episodes, student)
    with_extra = _rollout(_build(teacher, space, seed=0), n_episodes, student, extra=True)
    assert _same(plain, with_extra), f"{where}: feedback the teacher does not require changed its tasks"


# ---------------------------------------------------------------------- state checks
def check_state_round_trip(teacher: TeacherLike, task_space: spaces.Space | None = None, n_episodes: int = 600) -> None:
    """A state loaded (through pickle) into a teacher built with the same parameters
    continues identically, and the loaded teacher shares nothing with the state."""
    space = _space_of(teacher, task_space)
    where = _where(teacher, space)
    student = _Student(space, n_episodes)
    half = n_episodes // 2
    ref = _build(teacher, space, seed=3)
    _rollout(ref, half, student)
    state = pickle.loads(pickle.dumps(ref.state_dict()))
    restored = _build(teacher, space, seed=3)
    restored.load_state_dict(state)
    snapshot = restored.state_dict()
    assert same_state(snapshot, ref.state_dict()), f"{where}: state_dict() after load_state_dict differs from the loaded state"
    _scramble(state)  # the teacher must not share arrays, lists or dicts with the state
    assert same_state(restored.state_dict(), snapshot), f"{where}: the loaded teacher shares objects with its state"
    tail_a = _rollout(ref, n_episodes - half, student, start=half)
    tail_b = _rollout(restored, n_episodes - half, student, start=half)
    assert _same(tail_a, tail_b), f"{where}: restored teacher diverged from the original"
    assert restored.n_updates == ref.n_updates, f"{where}: n_updates not restored"


def _scramble(obj: Any) -> None:
    """Overwrite every mutable container reachable from ``obj`` in place."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            obj.fill(np.nan)
        elif obj.dtype.kind in "iu":
            obj.fill(7)
    elif isinstance(obj, dict):
        for key in list(obj):
            value = obj[key]
            if isinstance(value, np.ndarray | dict | list):
                _scramble(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                obj[key] = value + 1
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            if isinstance(value, np.ndarray | dict | list):
                _scramble(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                obj[i] = value + 1


def _structure(obj: Any) -> Any:
    """The shape of ``internals()``: keys, list lengths and None counts (not the values)."""
    if isinstance(obj, dict):
        return tuple((k, _structure(v)) for k, v in sorted(obj.items()))
    if isinstance(obj, list | tuple):
        return (len(obj), sum(v is None for v in obj), _structure(obj[0]) if obj and isinstance(obj[0], dict) else None)
    return None


def _phase(teacher: Teacher, arms_seen: set[int]) -> Any:
    """What changes when the teacher enters a new internal phase: the structure of its
    internals (components, regions, levels seen), its ``n_*`` event counters (fits, splits,
    bound changes) and, for arm teachers, the arms discovered so far."""
    counters = tuple(
        (k, v) for k, v in sorted(vars(teacher).items())
        if k.startswith("n_") and k not in ("n_samples", "n_updates") and isinstance(v, int)
    )
    return _structure(teacher.internals()), counters, len(arms_seen)


def check_restore_anywhere(
    teacher: TeacherLike,
    task_space: spaces.Space | None = None,
    n_episodes: int = 600,
    horizon: int = 8,
    max_events: int = 12,
) -> None:
    """Restored at any point of its life, a teacher continues as the uninterrupted one.

    States are taken before every episode of the first 20, every ``n_episodes // 15``
    episodes, and around every change of internal phase (first fit, each refit, region
    split, box growth, arm discovery): one episode before it, at it and two after it (the
    first ``max_events // 2`` changes and others spread over the run). Each is restored into
    a fresh teacher built from the state (:meth:`Teacher.from_state_dict`, half of them
    through pickle, half into a teacher built with the same parameters), which must hold
    the identical state and sample the same tasks as the uninterrupted run for the next
    ``horizon`` episodes and through the next phase change.
    """
    cls, _ = _split(teacher)
    space = _space_of(teacher, task_space)
    where = _where(teacher, space)
    student = _Student(space, n_episodes + horizon)
    ref = _build(teacher, space, seed=0)
    every = max(1, n_episodes // 15)
    chosen: dict[int, dict[str, Any]] = {}
    events: list[int] = []
    recent: list[tuple[int, dict[str, Any]]] = []
    arms_seen: set[int] = set()
    phase = _phase(ref, arms_seen)
    tasks: list[Any] = []
    for i in range(n_episodes + horizon):
        if i < n_episodes:
            state = ref.state_dict()
            recent = [*recent[-1:], (i, state)]
            if i <= 20 or i % every == 0 or (events and i - events[-1] <= 2):
                chosen[i] = state
        task = ref.sample()
        tasks.append(np.array(task, copy=True))
        score = student(task, i)
        ref.update(task, score, **{k: v for k, v in student.feedback(task, i, score).items() if k in ref.requires})
        if hasattr(ref, "arms"):
            arms_seen.add(ref.arms.arm_of(task))
        new_phase = _phase(ref, arms_seen)
        if new_phase != phase and i < n_episodes:
            phase = new_phase
            events.append(i)
            chosen.update(recent)  # episodes i - 1 and i: before the change
    keep_events = set(events[: max_events // 2]) | set(events[:: max(1, len(events) // (max_events // 2))])
    steps = sorted(
        s for s in chosen if s <= 20 or s % every == 0 or any(0 <= s - e <= 2 or s == e - 1 for e in keep_events)
    )
    for k, step in enumerate(steps):
        state = chosen[step]
        if k % 2:
            restored = _equip(cls.from_state_dict(space, pickle.loads(pickle.dumps(state))))
        else:
            restored = _build(teacher, space, seed=0)
            restored.load_state_dict(copy.deepcopy(state))
        assert same_state(restored.state_dict(), state), (
            f"{where}: the state restored at episode {step} is not the saved one"
        )
        # Run through the next phase change too: a restored teacher must survive it.
        later = [e for e in events if e >= step]
        end = min(len(tasks), max(step + horizon, later[0] + 3 if later else 0))
        tail = _rollout(restored, end - step, student, start=step)
        assert _same(tail, tasks[step : step + len(tail)]), (
            f"{where}: restored at episode {step} (phase changes at {events[:20]}), the teacher diverged"
        )


def _other_space(space: spaces.Space) -> spaces.Space:
    if isinstance(space, spaces.Box):
        low, high = np.append(space.low, space.low[0]), np.append(space.high, space.high[0])
        return spaces.Box(low=low.astype(space.dtype), high=high.astype(space.dtype), dtype=space.dtype)
    if isinstance(space, spaces.Discrete):
        return spaces.Discrete(int(space.n) + 1, start=int(space.start))
    return spaces.MultiDiscrete(np.append(np.asarray(space.nvec), 2))


def _other_param(teacher: TeacherLike, space: spaces.Space) -> tuple[str, Any] | None:
    """A parameter (not the seed) and another valid value of it, if one is found."""
    cls, _ = _split(teacher)
    params = _build(teacher, space).get_params()
    for name, value in params.items():
        if name == "seed":
            continue
        if isinstance(value, bool):
            options: list[Any] = [not value]
        elif isinstance(value, int | float):
            options = [value + 1, value * 2, value / 2, value - 1]
        elif value is None:
            options = [1, 0.5]
        else:
            continue
        for option in options:
            try:
                cls(space, **{**params, name: option})
            except (ValueError, TypeError):
                continue
            return name, option
    return None


def _first_array(obj: Any, path: tuple = ()) -> tuple[tuple, np.ndarray] | None:
    if isinstance(obj, np.ndarray) and obj.ndim >= 1:
        return path, obj
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        found = _first_array(value, (*path, key))
        if found is not None:
            return found
    return None


def check_foreign_state_rejected(teacher: TeacherLike, task_space: spaces.Space | None = None) -> None:
    """States the teacher cannot continue from are a ``ValueError`` naming what differs,
    and leave it unchanged: another class, another task space, other parameters (the
    seed, another hyperparameter), a wrong version, a missing or unexpected field, a field
    of the wrong type (the RNG as an int) and arrays of the wrong shape."""
    cls, _ = _split(teacher)
    space = _space_of(teacher, task_space)
    where = _where(teacher, space)
    t = _trained(teacher, space, 40)
    state = t.state_dict()
    before = _frozen(t)
    cases: list[tuple[str, Any, list[str]]] = []

    def altered(**changes: Any) -> dict[str, Any]:
        out = copy.deepcopy(state)
        out.update(changes)
        return out

    cases.append(("another class", altered(teacher="SomeOtherTeacher"), ["SomeOtherTeacher"]))
    if cls.__name__ != "RandomTeacher":
        from teachers.random import RandomTeacher

        if isinstance(space, RandomTeacher.supported_spaces):
            cases.append(("a RandomTeacher state", RandomTeacher(space, seed=0).state_dict(), ["RandomTeacher"]))
    other = _other_space(space)
    try:
        foreign = _build(teacher, other, seed=0).state_dict()
    except ValueError:  # parameters tied to the space (bins per dimension, arm names...)
        foreign = altered(task_space=describe_space(other))
    cases.append((f"a state on {other}", foreign, ["task_space"]))
    cases.append(("another seed", _build(teacher, space, seed=1).state_dict(), ["seed", "0", "1"]))
    changed = _other_param(teacher, space)
    if changed is not None:
        name, value = changed
        cases.append((f"{name}={value!r}", _build(teacher, space, seed=0, **{name: value}).state_dict(), [name]))
    cases.append(("another version", altered(version=state["version"] + 1), ["version"]))
    fields = list(state["state"])
    missing = copy.deepcopy(state)
    del missing["state"][fields[-1]]
    cases.append((f"no field {fields[-1]!r}", missing, [fields[-1]]))
    extra = copy.deepcopy(state)
    extra["state"]["bogus_field"] = 1
    cases.append(("an extra field", extra, ["bogus_field"]))
    rng_int = copy.deepcopy(state)
    rng_int["state"]["rng"] = 12345
    cases.append(("the RNG as an int", rng_int, ["rng"]))
    for name in fields:
        found = _first_array(state["state"][name])
        if found is None:
            continue
        path, arr = found
        shape = arr.shape[:-1] + (arr.shape[-1] + 1,)
        wrong = copy.deepcopy(state)
        target = wrong["state"]
        keys = (name, *path)
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = np.zeros(shape, dtype=arr.dtype)
        cases.append((f"field {name!r} at {list(path)} of shape {shape}", wrong, [name]))
        wrong_type = copy.deepcopy(state)
        target = wrong_type["state"]
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = arr.tolist()
        cases.append((f"field {name!r} at {list(path)} as a list", wrong_type, [name]))
    for what, bad_state, needles in cases:
        _expect_value_error(lambda s=bad_state: t.load_state_dict(s), needles, f"{where}: loading {what}")
        assert _frozen(t) == before, f"{where}: a refused load ({what}) changed the teacher"


# ---------------------------------------------------------------------- the suite
def _space_label(space: spaces.Space) -> str:
    if isinstance(space, spaces.Box):
        return f"Box{space.shape[0]}"
    if isinstance(space, spaces.Discrete):
        return f"Discrete{space.n}"
    if isinstance(space, spaces.MultiDiscrete):
        return "MultiDiscrete" + "x".join(str(v) for v in np.asarray(space.nvec).ravel())
    return type(space).__name__


_PER_SPACE: tuple[Callable[..., None], ...] = (
    check_get_params,
    check_samples_in_space,
    check_seeded_determinism,
    check_state_round_trip,
    check_restore_anywhere,
    check_bad_inputs_rejected,
    check_feedback,
    check_foreign_state_rejected,
    check_non_exploratory_sample,
    check_internals_json,
)
_ONCE: tuple[Callable[..., None], ...] = (check_constraints_cover_params, check_invalid_hyperparameters)
_TAKES_EPISODES = {
    check_samples_in_space, check_seeded_determinism, check_state_round_trip, check_restore_anywhere,
    check_non_exploratory_sample, check_internals_json,
}


def teacher_checks(
    teacher: TeacherLike,
    task_spaces: list[spaces.Space] | None = None,
    n_episodes: int = 600,
) -> Iterator[tuple[str, Callable[[TeacherLike], None]]]:
    """The named checks for ``teacher``: ``(name, check)`` with ``check(teacher)``.

    :param teacher: a :class:`Teacher` subclass or an instance (its parameters are reused).
    :param task_spaces: spaces to test on; default :func:`default_check_spaces` (an
        instance's own space for an instance).
    :param n_episodes: episodes fed per run; large enough to pass the fit/split points of
        the teacher's parameters (600 passes ALP-GMM's first two fits).
    """
    cls, _ = _split(teacher)
    if task_spaces is None:
        task_spaces = [teacher.task_space] if isinstance(teacher, Teacher) else default_check_spaces(cls)
    for check in _ONCE:
        yield check.__name__, functools.partial(check, task_space=task_spaces[0])
    for space in task_spaces:
        for check in _PER_SPACE:
            kwargs: dict[str, Any] = {"task_space": space}
            if check in _TAKES_EPISODES:
                kwargs["n_episodes"] = n_episodes
            yield f"{check.__name__}[{_space_label(space)}]", functools.partial(check, **kwargs)


def check_teacher(
    teacher: TeacherLike,
    task_spaces: list[spaces.Space] | None = None,
    n_episodes: int = 600,
) -> None:
    """Run every check of :func:`teacher_checks` on a teacher class or instance.

    :param teacher: a :class:`Teacher` subclass, or an instance whose ``get_params()`` are
        reused to build fresh copies on each space.
    :param task_spaces: spaces to test on; default :func:`default_check_spaces`.
    :param n_episodes: episodes fed per run (see :func:`teacher_checks`).
    :raises AssertionError: on the first failed check, with its reason.
    """
    cls, _ = _split(teacher)
    spaces_ = task_spaces or default_check_spaces(cls)
    for _, check in teacher_checks(teacher, spaces_, n_episodes):
        check(teacher)


def _teacher_id(teacher: TeacherLike) -> str:
    if isinstance(teacher, type):
        return teacher.__name__
    cls, params = _split(teacher)
    try:
        defaults = cls(teacher.task_space, seed=0).get_params()
    except (ValueError, TypeError):  # parameters without usable defaults
        defaults = {}
    shown = {k: v for k, v in params.items() if k not in defaults or not same_value(defaults[k], v)}
    return f"{cls.__name__}({', '.join(f'{k}={short_repr(v)}' for k, v in shown.items())})"


def parametrize_with_checks(
    teachers: Sequence[TeacherLike],
    task_spaces: list[spaces.Space] | None = None,
    n_episodes: int = 600,
) -> Any:
    """A ``pytest.mark.parametrize`` decorator over every (teacher, check) pair.

    The decorated test takes ``teacher`` and ``check`` and calls ``check(teacher)``; ids
    read ``UCBTeacher(temperature=0.5)-check_restore_anywhere[Discrete5]``.

    :param teachers: classes or instances (instances' parameters are reused).
    :param task_spaces: as in :func:`teacher_checks`.
    :param n_episodes: as in :func:`teacher_checks`.
    """
    import pytest

    cases = [
        pytest.param(teacher, check, id=f"{_teacher_id(teacher)}-{name}")
        for teacher in teachers
        for name, check in teacher_checks(teacher, task_spaces, n_episodes)
    ]
    return pytest.mark.parametrize(("teacher", "check"), cases)
