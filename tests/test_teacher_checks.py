"""Every registered teacher passes every named conformance check (one test per pair).

Teachers registered later (entry points included) are covered automatically: the list is
``teachers.available()``, each built with its default parameters (plus the ones it cannot
be built without). Restore checks run past each teacher's internal phases with these
defaults: ALP-GMM/Covar-GMM bootstrap and two fits (fit_rate 250), RIAC region splits,
ADR box growth, and arm discovery for the bandits.
"""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from teachers import RandomTeacher, Teacher
from teachers.checks import (
    check_constraints_cover_params,
    check_foreign_state_rejected,
    check_restore_anywhere,
    default_check_spaces,
    parametrize_with_checks,
    teacher_checks,
)

#: Parameters a teacher cannot be built without. check_teacher's student scores
#: 100·sin(3·Σu) ± noise: 14 at the centre of the box, so ADR with these thresholds grows.
REQUIRED_PARAMS = {
    "adr": {"max_reward_thr": 0.0, "min_reward_thr": -50.0},
    # updates every ~27 episodes of the checks' student (20..199 steps each), so restores
    # are checked across distribution updates; δ = 20 is reached and lost along the way
    "spdl": {"update_frequency": 3000, "update_offset": 3000, "perf_lb": 20.0},
}
#: Sizes that keep the neural teachers' checks fast (tiny networks, few iterations), with
#: which the 600 checked episodes still pass many trainings (and GoalGAN's replays: its
#: wider noise finds the student's successes).
SMALL_PARAMS = {
    "currot": {"n_particles": 30, "episodes_per_update": 10, "n_ball_samples": 20, "n_projections": 20, "delta": 20.0},
    "goal-gan": {
        "generator_layers": (16, 16), "discriminator_layers": (16, 16), "update_size": 20, "train_iters": 5,
        "batch_size": 8, "state_noise_level": 0.3,
    },
    "setter-solver": {
        "update_frequency": 50, "setter_hidden_size": 8, "judge_hidden_size": 8, "setter_blocks": 1,
        "setter_layers_per_block": 1,
    },
}


def registered_teachers() -> list[teachers.Teacher | type[teachers.Teacher]]:
    out: list = []
    for name in teachers.available():
        cls = teachers.get_class(name)
        params = {**REQUIRED_PARAMS.get(name, {}), **SMALL_PARAMS.get(name, {})}
        if params:
            out.append(cls(default_check_spaces(cls)[0], **params))
        else:
            out.append(cls)
    return out


@parametrize_with_checks(registered_teachers())
def test_registered_teacher(teacher, check):
    check(teacher)


def test_check_ids_are_readable():
    mark = parametrize_with_checks([teachers.UCBTeacher(spaces.Discrete(5), temperature=0.5)])
    ids = [p.id for p in mark.args[1]]
    assert "UCBTeacher(temperature=0.5)-check_restore_anywhere[Discrete5]" in ids
    assert "UCBTeacher(temperature=0.5)-check_invalid_hyperparameters" in ids
    names = [name for name, _ in teacher_checks(teachers.SECTeacher)]
    assert len(names) == len(set(names))


class _Unconstrained(RandomTeacher):
    def __init__(self, task_space, seed=None, reward_range=None, width=1.0):
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.width = width


def test_constraint_check_catches_an_undeclared_parameter():
    with pytest.raises(AssertionError, match="width"):
        check_constraints_cover_params(_Unconstrained)


class _Forgetful(Teacher):
    """Keeps a counter it does not declare as state: restoring it loses the counter."""

    def __init__(self, task_space, seed=None, reward_range=None):
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.k = 0

    def _sample(self):
        return self.unit.from_unit(np.full(self.unit.dim, (self.k % 7) / 7))

    def _update(self, task, score):
        self.k += 1


def test_restore_check_catches_an_undeclared_field():
    with pytest.raises(AssertionError, match="diverged"):
        check_restore_anywhere(_Forgetful, n_episodes=40)


class _Lenient(RandomTeacher):
    """Loads anything: the old merge-the-__dict__ behaviour."""

    def load_state_dict(self, state):
        self.__dict__.update({k: v for k, v in state["state"].items() if k != "rng"})


def test_foreign_state_check_catches_a_lenient_loader():
    with pytest.raises(AssertionError, match="no ValueError"):
        check_foreign_state_rejected(_Lenient)
