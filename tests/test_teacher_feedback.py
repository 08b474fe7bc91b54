"""The feedback hooks of the Teacher API: ``requires``, ``requires_value_fn``,
``update(..., success=, value=, steps=)``, ``set_value_fn`` and their checks."""

from typing import ClassVar

import numpy as np
import pytest
from gymnasium import spaces

from teachers import RandomTeacher, Teacher, check_teacher
from teachers.base import FEEDBACK
from teachers.checks import check_feedback, check_restore_anywhere
from teachers.state import Float, Int, StateField

BOX = spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))


class _NeedsAll(Teacher):
    """Keeps running sums of every feedback; samples from them (so they matter)."""

    requires = frozenset(FEEDBACK)
    _state_fields: ClassVar[dict[str, StateField]] = {
        "wins": Int(low=0), "value_sum": Float(), "step_sum": Int(low=0),
    }

    def __init__(self, task_space, seed=None, reward_range=None):
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.wins, self.value_sum, self.step_sum = 0, 0.0, 0

    def _sample(self):
        shift = (self.wins + self.step_sum + abs(self.value_sum)) % 1.0
        return self.unit.from_unit((self.rng.random(self.unit.dim) + shift) % 1.0)

    def _update(self, task, score, success, steps, value):
        self.wins += int(success)
        self.value_sum += value
        self.step_sum += steps


class _NeedsValueFn(Teacher):
    """Samples the best of 4 random candidates under the value function."""

    requires_value_fn = True

    def _sample(self):
        candidates = self.unit.from_unit(self.rng.random((4, self.unit.dim)))
        return candidates[int(np.argmax(self.task_values(candidates)))]


def test_feedback_reaches_update_validated():
    t = _NeedsAll(BOX, seed=0)
    task = t.sample()
    t.update(task, 1.0, success=np.bool_(True), value=np.float32(2.5), steps=np.int64(7))
    t.update(task, 1.0, success=0, value=1, steps=3)
    assert (t.wins, t.value_sum, t.step_sum) == (1, 3.5, 10)
    assert isinstance(t.value_sum, float) and isinstance(t.step_sum, int)


@pytest.mark.parametrize("missing", FEEDBACK)
def test_missing_feedback_is_named(missing):
    t = _NeedsAll(BOX, seed=0)
    full = {"success": True, "value": 1.0, "steps": 5}
    del full[missing]
    with pytest.raises(ValueError, match=rf"requires feedback \['{missing}'\]"):
        t.update(t.sample(), 1.0, **full)
    assert t.n_updates == 0


@pytest.mark.parametrize(
    ("name", "bad"),
    [("success", 0.5), ("success", "yes"), ("value", float("nan")), ("value", True), ("steps", 0), ("steps", 2.5)],
)
def test_bad_feedback_is_named_even_when_not_required(name, bad):
    for t in (_NeedsAll(BOX, seed=0), RandomTeacher(BOX, seed=0)):
        full = {"success": True, "value": 1.0, "steps": 5, name: bad}
        with pytest.raises(ValueError, match=name):
            t.update(t.sample(), 1.0, **full)
        assert t.n_updates == 0


def test_teachers_without_needs_are_unchanged():
    t = RandomTeacher(BOX, seed=0)
    assert t.requires == frozenset() and not t.requires_value_fn
    t.update(t.sample(), 1.0)  # no feedback needed
    t.update(t.sample(), 1.0, success=True, value=0.0, steps=1)  # given feedback is ignored
    assert t.n_updates == 2


def test_unknown_requirement_is_refused_at_class_creation():
    with pytest.raises(ValueError, match="reward"):
        type("Bad", (RandomTeacher,), {"requires": frozenset({"reward"})})
    with pytest.raises(ValueError, match="requires_value_fn"):
        type("Bad", (RandomTeacher,), {"requires_value_fn": "yes"})
    with pytest.raises(ValueError, match=r"path_params .* got \('classroom',\)"):
        type("Bad", (RandomTeacher,), {"path_params": ("classroom",)})  # not one of its parameters
    with pytest.raises(ValueError, match="path_params"):
        type("Bad", (RandomTeacher,), {"path_params": "seed"})


def test_value_fn_is_required_when_used_and_checked():
    t = _NeedsValueFn(BOX, seed=0)
    with pytest.raises(RuntimeError, match="set_value_fn"):
        t.sample()
    with pytest.raises(ValueError, match="callable"):
        t.set_value_fn(3)
    t.set_value_fn(lambda tasks: tasks[:, 0])  # prefers a large first coordinate
    assert np.mean([t.sample()[0] for _ in range(200)]) > 1.0
    t.set_value_fn(lambda tasks: np.zeros((len(tasks), 2)))
    with pytest.raises(ValueError, match="shape"):
        t.sample()
    t.set_value_fn(lambda tasks: np.full(len(tasks), np.nan))
    with pytest.raises(ValueError, match="non-finite"):
        t.sample()


@pytest.mark.parametrize("cls", [_NeedsAll, _NeedsValueFn])
def test_teachers_with_needs_pass_check_teacher(cls):
    check_teacher(cls, n_episodes=100)


def test_feedback_check_catches_a_teacher_that_ignores_a_missing_requirement():
    class Lenient(_NeedsAll):
        def check_feedback(self, **given):  # accepts anything, fills in what is missing
            return {"success": bool(given.get("success")), "steps": given.get("steps") or 1,
                    "value": given.get("value") or 0.0}

    with pytest.raises(AssertionError, match="without"):
        check_feedback(Lenient)


def test_feedback_check_catches_a_teacher_that_uses_unrequired_feedback():
    class Peeking(RandomTeacher):
        def update(self, task, score, **feedback):
            super().update(task, score, **feedback)
            if feedback.get("steps"):
                self.rng.random()  # reacts to feedback it did not declare

    with pytest.raises(AssertionError, match="does not require"):
        check_feedback(Peeking)


def test_restore_check_sets_the_value_fn_again():
    check_restore_anywhere(_NeedsValueFn, n_episodes=60)
