"""The SB3 callbacks of a curriculum run, one job each, composed by :class:`RunCallbacks`.

- :class:`EpisodeRecordsCallback`: sends each finished episode's history row to the loggers;
- :class:`MetricsCallback`: a metrics line every ``log_every`` steps;
- :class:`TeacherSnapshotCallback`: the teacher's internals every ``teacher_log_every`` steps;
- :class:`EvaluationCallback`: the test-set evaluation every ``eval_every`` steps;
- :class:`RunCheckpointCallback`: a checkpoint every ``checkpoint_every`` steps;
- :class:`PretestCallback`: the teacher's pre-test when it asks for one (``uses_pretest``).

The periodic ones act the first time ``num_timesteps`` passes a multiple of their period, and
once more at the end of training (:meth:`PeriodicCallback.finish`) unless they just did.
Each restores its own counters from, and contributes them to, the checkpoint's loop state
(:meth:`loop_state`), so a resumed run keeps its schedule.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, CallbackList

from students.checkpoint import save_checkpoint
from students.curriculum import CurriculumVecEnv
from students.evaluation import TaskEvaluator
from students.loggers import RunLogger
from students.run_dir import CHECKPOINT_DIR, PRETEST_FILE, RunDirectory, atomic_write_text

__all__ = [
    "EpisodeRecordsCallback",
    "EvaluationCallback",
    "MetricsCallback",
    "PeriodicCallback",
    "PretestCallback",
    "RunCallbacks",
    "RunCheckpointCallback",
    "TeacherSnapshotCallback",
]


class EpisodeRecordsCallback(BaseCallback):
    """Sends the curriculum's new history rows to the loggers, at every step and rollout end.

    :param curriculum: the curriculum env (its :meth:`~CurriculumVecEnv.pop_records`).
    :param logger: the run loggers.
    """

    def __init__(self, curriculum: CurriculumVecEnv, logger: RunLogger) -> None:
        super().__init__()
        self.curriculum, self.run_logger = curriculum, logger
        self._window: list[dict[str, Any]] = []

    def drain(self) -> None:
        """Send the rows delivered since the last call."""
        records = self.curriculum.pop_records()
        if records:
            self.run_logger.on_episodes(self.num_timesteps, records)
            self._window.extend(records)

    def take_window(self) -> list[dict[str, Any]]:
        """The rows sent since the last call of this method (for the metrics)."""
        window, self._window = self._window, []
        return window

    def _on_step(self) -> bool:
        self.drain()
        return True

    def _on_rollout_end(self) -> None:
        self.drain()


class PeriodicCallback(BaseCallback):
    """Calls :meth:`act` the first time ``num_timesteps`` passes each multiple of ``every``.

    :param every: the period in env steps (``0``: only at :meth:`finish`, if ever).
    :param last_step: the step it last acted at (from a checkpoint; ``None`` if never).
    """

    #: The checkpoint's loop-state key of :attr:`last_step` (see :meth:`loop_state`).
    state_key: str = ""

    def __init__(self, every: int, last_step: int | None = None) -> None:
        super().__init__()
        self.every, self.last_step = int(every), last_step
        self._next: float = float("inf")

    def _next_after(self, step: int) -> float:
        return (step // self.every + 1) * self.every if self.every > 0 else float("inf")

    def _on_training_start(self) -> None:
        self._next = self._next_after(self.num_timesteps)

    def _on_step(self) -> bool:
        self.run_if_due()
        return True

    def run_if_due(self) -> None:
        """Act if ``num_timesteps`` passed the next multiple of the period."""
        if self.num_timesteps >= self._next:
            self.run()
            self._next = self._next_after(self.num_timesteps)

    def run(self) -> None:
        """Act now and remember the step."""
        self.act()
        self.last_step = self.num_timesteps

    def act(self) -> None:
        """The job; subclasses implement it."""
        raise NotImplementedError

    def finish(self) -> None:
        """End of training: act once more unless this step was already covered."""
        if self.last_step != self.num_timesteps:
            self.run()

    def loop_state(self) -> dict[str, Any]:
        """What a checkpoint saves so that a resume keeps this schedule."""
        return {self.state_key: self.last_step}


class MetricsCallback(PeriodicCallback):
    """One metrics line per period: episode stats since the last line, speed, SB3's ``train/``
    values.

    :param records: the callback whose rows the stats summarize.
    :param logger: the run loggers.
    :param every: ``log_every``.
    :param last_step: from the checkpoint.
    """

    state_key = "last_metrics_step"

    def __init__(self, records: EpisodeRecordsCallback, logger: RunLogger, every: int, last_step: int | None) -> None:
        super().__init__(every, last_step)
        self.records, self.run_logger = records, logger
        self._t, self._step = time.perf_counter(), 0

    def _on_training_start(self) -> None:
        super()._on_training_start()
        self._t, self._step = time.perf_counter(), self.num_timesteps

    def act(self) -> None:
        now, step = time.perf_counter(), self.num_timesteps
        window = self.records.take_window()
        metrics: dict[str, float] = {"episodes": self.records.curriculum.n_episodes}
        if window:
            for key, field in (("mean_return", "return"), ("mean_score", "score"),
                               ("success_rate", "success"), ("mean_length", "length")):  # fmt: skip
                metrics[key] = float(np.mean([r[field] for r in window]))
        if now > self._t:
            metrics["fps"] = (step - self._step) / (now - self._t)
        for key, value in self.model.logger.name_to_value.items():
            if key.startswith("train/") and np.isscalar(value):
                metrics[key] = float(value)
        self.run_logger.on_metrics(step, metrics)
        self._t, self._step = now, step


class TeacherSnapshotCallback(PeriodicCallback):
    """The teacher's :meth:`~teachers.Teacher.internals` once per period.

    :param curriculum: the curriculum env (its teacher and episode count).
    :param logger: the run loggers.
    :param every: ``teacher_log_every``.
    :param last_step: from the checkpoint.
    """

    state_key = "last_teacher_step"

    def __init__(self, curriculum: CurriculumVecEnv, logger: RunLogger, every: int, last_step: int | None) -> None:
        super().__init__(every, last_step)
        self.curriculum, self.run_logger = curriculum, logger

    def act(self) -> None:
        self.run_logger.on_teacher(self.num_timesteps, self.curriculum.n_episodes, self.curriculum.teacher.internals())


class EvaluationCallback(PeriodicCallback):
    """The test-set evaluation once per period, and at the start of a new run.

    :param evaluator: the test-set evaluator.
    :param logger: the run loggers.
    :param every: ``eval_every``.
    :param loop_state: the checkpoint's loop state (``last_eval_step``, ``last_evaluation``).
    """

    state_key = "last_eval_step"

    def __init__(self, evaluator: TaskEvaluator, logger: RunLogger, every: int, loop_state: dict[str, Any]) -> None:
        super().__init__(every, loop_state.get("last_eval_step"))
        self.evaluator, self.run_logger = evaluator, logger
        self.last_evaluation: dict[str, Any] | None = loop_state.get("last_evaluation")

    def _on_training_start(self) -> None:
        super()._on_training_start()
        if self.last_step is None:  # a new run: where the student starts from
            self.run()

    def act(self) -> None:
        self.last_evaluation = self.evaluator.evaluate(self.model, self.model.get_vec_normalize_env())
        self.run_logger.on_evaluation(self.num_timesteps, self.last_evaluation)

    def loop_state(self) -> dict[str, Any]:
        return {**super().loop_state(), "last_evaluation": self.last_evaluation}


class RunCheckpointCallback(PeriodicCallback):
    """A checkpoint of everything needed to resume, at rollout start once per period.

    At rollout start the previous rollout has been trained on and every advantage score
    delivered. The records are drained first, so the run directory's offsets cover every
    episode the checkpointed teacher has seen.

    :param records: drained before each checkpoint.
    :param run_directory: the writer whose offsets go into the checkpoint.
    :param parts: the periodic callbacks whose ``loop_state()`` is saved too.
    :param every: ``checkpoint_every`` (``0``: only at :meth:`finish`).
    :param loop_state: the checkpoint's loop state (``step``, ``resumes``).
    """

    state_key = "step"

    def __init__(
        self,
        records: EpisodeRecordsCallback,
        run_directory: RunDirectory,
        parts: list[PeriodicCallback],
        every: int,
        loop_state: dict[str, Any],
    ) -> None:
        super().__init__(every, loop_state.get("step"))
        self.records, self.run_directory, self.parts = records, run_directory, parts
        self.resumes = int(loop_state.get("resumes", 0))

    def _on_step(self) -> bool:
        return True

    def _on_rollout_start(self) -> None:
        self.run_if_due()

    def act(self) -> None:
        """Save a checkpoint now and make it the latest."""
        self.records.drain()
        curriculum = self.records.curriculum
        state: dict[str, Any] = {
            "n_episodes": curriculum.n_episodes,
            "offsets": self.run_directory.offsets(),
            "resumes": self.resumes,
        }
        for part in self.parts:  # their last steps and records, so a resume keeps their schedule
            state.update(part.loop_state())
        save_checkpoint(
            self.run_directory.path / CHECKPOINT_DIR, self.num_timesteps, self.model,
            curriculum.teacher.state_dict(), state, self.model.get_vec_normalize_env(),
        )


class RunCallbacks(CallbackList):
    """The callbacks of a curriculum run, in the order their jobs depend on each other.

    :param curriculum: the curriculum env.
    :param logger: the run loggers.
    :param run_directory: the run directory writer.
    :param evaluator: the test-set evaluator, or ``None`` (no evaluation).
    :param periods: ``log_every``, ``teacher_log_every``, ``eval_every``, ``checkpoint_every``.
    :param loop_state: the checkpoint's loop state (``{}`` for a new run).
    """

    def __init__(
        self,
        curriculum: CurriculumVecEnv,
        logger: RunLogger,
        run_directory: RunDirectory,
        evaluator: TaskEvaluator | None,
        periods: dict[str, int],
        loop_state: dict[str, Any],
    ) -> None:
        step = loop_state.get("step")
        self.records = EpisodeRecordsCallback(curriculum, logger)
        self.metrics = MetricsCallback(self.records, logger, periods["log_every"],
                                       loop_state.get("last_metrics_step", step))  # fmt: skip
        self.teacher_snapshots = TeacherSnapshotCallback(
            curriculum, logger, periods["teacher_log_every"], loop_state.get("last_teacher_step", step)
        )
        self.evaluation = (
            EvaluationCallback(evaluator, logger, periods["eval_every"], loop_state) if evaluator is not None else None
        )
        periodic = [self.metrics, self.teacher_snapshots, *([self.evaluation] if self.evaluation else [])]
        self.checkpoints = RunCheckpointCallback(
            self.records, run_directory, periodic, periods["checkpoint_every"], loop_state
        )
        super().__init__([self.records, *periodic, self.checkpoints])
        self._periodic = periodic

    @property
    def last_evaluation(self) -> dict[str, Any] | None:
        """The last evaluation record (``None`` without evaluation)."""
        return self.evaluation.last_evaluation if self.evaluation is not None else None

    def finish(self) -> None:
        """End of training: last rows, metrics, snapshot, evaluation, then the checkpoint."""
        self.records.drain()
        for callback in self._periodic:
            callback.finish()
        self.checkpoints.finish()


class PretestCallback(BaseCallback):
    """Runs the teacher's pre-test when :meth:`~teachers.Teacher.pretest_due` says so.

    Checked at the start of training and after every step: the policy is evaluated
    (deterministically, as the test set) on :meth:`~teachers.Teacher.pretest_tasks`, the
    returns go to :meth:`~teachers.Teacher.set_pretest_results`, and the pre-test is written
    to ``pretest.json``. The teacher keeps its results in its state, so a run resumed from a
    checkpoint taken after the pre-test does not run it again.

    :param curriculum: the curriculum env (its teacher and episode count).
    :param make_evaluator: builds a :class:`~students.evaluation.TaskEvaluator` on the given
        ``(n, d)`` env tasks.
    :param run_directory: where ``pretest.json`` goes.
    :param task_map: maps teacher tasks to env tasks (identity if ``None``).
    """

    def __init__(
        self,
        curriculum: CurriculumVecEnv,
        make_evaluator: Callable[[np.ndarray], TaskEvaluator],
        run_directory: RunDirectory,
        task_map: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__()
        self.curriculum, self.make_evaluator, self.run_directory = curriculum, make_evaluator, run_directory
        self.task_map = task_map

    def _on_training_start(self) -> None:
        self.run_if_due()

    def _on_step(self) -> bool:
        self.run_if_due()
        return True

    def run_if_due(self) -> None:
        teacher = self.curriculum.teacher
        if not teacher.pretest_due():
            return
        tasks = np.asarray(teacher.pretest_tasks(), dtype=np.float64)
        env_tasks = np.array([self.task_map(t) for t in tasks]) if self.task_map is not None else tasks
        evaluator = self.make_evaluator(env_tasks)
        try:
            result = evaluator.evaluate(self.model, self.model.get_vec_normalize_env())
        finally:
            evaluator.close()
        teacher.set_pretest_results(result["returns"])
        record = {
            "step": int(self.num_timesteps), "episode": int(self.curriculum.n_episodes), "tasks": tasks.tolist(),
            "returns": list(result["returns"]), "successes": list(result["successes"]),
            "teacher": teacher.internals().get("again", {}),
        }
        atomic_write_text(self.run_directory.path / PRETEST_FILE, json.dumps(record))
