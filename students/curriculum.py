"""The curriculum loop on SB3 vector envs: :class:`CurriculumVecEnv`.

The teacher lives in the main process. The wrapper keeps, for every env index, the task of
the running episode and the *pending* task of the next one. SB3's vector envs reset a
finished env inside ``step()`` without options, so the next task must already be in the env
when an episode ends: the wrapper sets it ahead with ``env_method("set_task", task,
indices=[i])``, which the env contract applies at the next reset. Hence a **one-episode
look-ahead**: the task of env ``i``'s episode ``k + 1`` is sampled when its episode ``k``
starts (right after episode ``k - 1`` was reported), so it does not yet reflect episode
``k``'s score. With ``n_envs`` envs the teacher is at most ``n_envs`` episodes behind anyway.
With ``SubprocVecEnv`` the ``set_task`` message travels just ahead of the next ``step``
message to the same worker (same pipe, so it is applied first), which saves a round trip per
episode.

Every finished episode is attributed to the task it actually ran (cross-checked against the
env's terminal ``info["task"]``: a mismatch raises), becomes one history row and reaches the
teacher exactly once. Works with ``DummyVecEnv`` and ``SubprocVecEnv`` under any start method
(nothing but picklable tasks crosses processes; no threads, no queues) and any SB3 algorithm.

Feedback for teachers that require it (``teacher.requires``): ``success`` is the env's
terminal ``info["success"]``, ``steps`` the episode's length, ``value`` the student's V(s0)
of the episode's first observation, evaluated when the episode ends by the critic of the
model given to :meth:`CurriculumVecEnv.attach_student` (through ``VecNormalize``'s current
statistics, in raw reward units: :class:`students.values.PolicyValue`). A teacher with
``requires_value_fn`` gets a :class:`students.values.TaskValueFunction` from
:meth:`CurriculumVecEnv.attach_student`. Only the required feedback is computed and passed.

``reset()`` (SB3 calls it when ``learn()`` starts with ``reset_num_timesteps=True``, e.g. a
second ``learn()``): the running episodes are abandoned and **not reported** (they have no
score); the pending tasks, already in the envs, become the new running ones, so no sampled
task is thrown away and the teacher history only ever holds finished episodes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import (
    SubprocVecEnv,
    VecEnv,
    VecEnvWrapper,
    unwrap_vec_wrapper,
)

from students.values import (
    PolicyValue,
    TaskValueFunction,
    check_student_provides,
    needs_value,
    obs_row,
    stack_obs,
)
from teachers.base import Teacher

__all__ = ["ADVANTAGE_NORMS", "ADVANTAGE_SCORES", "SCORES", "AdvantageCallback", "CurriculumVecEnv", "find_curriculum_env"]

#: Score signals the loop can send to the teacher.
SCORES = ("return", "success", "advantage", "positive_advantage")

#: Scores computed from the on-policy rollout buffer: the episode's mean |A| (PLR's
#: ``value_l1``, DUMP's and SEC's learnability) or mean max(A, 0) (Robust PLR's positive
#: value loss).
ADVANTAGE_SCORES = ("advantage", "positive_advantage")

#: How the advantage scores are scaled: ``"batch"`` divides each rollout's advantages by
#: their standard deviation over the rollout buffer (the unit scale PPO's
#: ``normalize_advantage`` trains on, and the scale of the GRPO advantages DUMP and SEC were
#: tuned with); ``"none"`` keeps them in return units.
ADVANTAGE_NORMS = ("batch", "none")

# Errors a SubprocVecEnv raises in the main process when a worker died.
_WORKER_DEATH = (EOFError, BrokenPipeError, ConnectionResetError)


def _as_list(task: Any) -> Any:
    """A JSON-ready copy of a task: list of floats/ints, a scalar, or a dict."""
    if isinstance(task, np.ndarray):
        return task.tolist() if task.ndim else task.item()
    if isinstance(task, dict):
        return {k: float(v) for k, v in task.items()}
    if isinstance(task, np.generic):
        return task.item()
    return np.asarray(task).tolist()


def _same_task(got: Any, want: list[float]) -> bool:
    """``got`` equals ``want`` up to float32 rounding (plain Python: tasks are short)."""
    got = got.tolist() if isinstance(got, np.ndarray) else list(np.ravel(got))
    if len(got) != len(want):
        return False
    return all(abs(g - w) <= 1e-6 * (1.0 + abs(w)) for g, w in zip(got, want, strict=True))


class CurriculumVecEnv(VecEnvWrapper):
    """Let ``teacher`` choose the task of every episode of ``venv``.

    :param venv: the vector env; its envs follow the env contract (``set_task``,
        ``info["task"]``, ``info["success"]``). Wrap it *before* ``VecNormalize`` so returns
        are raw.
    :param teacher: the teacher (main process).
    :param score: the signal sent to the teacher: ``"return"``, ``"success"`` (0/1) or
        ``"advantage"`` (mean |GAE| over the episode) or ``"positive_advantage"`` (mean
        max(GAE, 0)); the last two on-policy only, delivered at rollout end by
        :class:`AdvantageCallback`.
    :param advantage_norm: scale of the advantage scores (:data:`ADVANTAGE_NORMS`):
        ``"batch"`` (default) divides by ``std(A)`` over the rollout buffer the episode's steps
        were collected in (e.g. mean ``|A| / std(A)``); ``"none"`` keeps return units.
    :param task_map: maps a teacher task to an env task (e.g. a discrete arm to parameters);
        ``None`` is the identity. With a map, history rows also carry ``"teacher_task"``.
    :param check_tasks: cross-check every finished episode's ``info["task"]`` (cheap; a
        mismatch raises ``RuntimeError``).
    """

    def __init__(
        self,
        venv: VecEnv,
        teacher: Teacher,
        score: str = "return",
        task_map: Callable[[Any], Any] | None = None,
        check_tasks: bool = True,
        advantage_norm: str = "batch",
    ) -> None:
        if score not in SCORES:
            raise ValueError(f"unknown score {score!r}; choose one of {SCORES}")
        if advantage_norm not in ADVANTAGE_NORMS:
            raise ValueError(f"unknown advantage_norm {advantage_norm!r}; choose one of {ADVANTAGE_NORMS}")
        if task_map is not None and not callable(task_map):
            raise ValueError(f"task_map must be callable, got {task_map!r}")
        super().__init__(venv)
        self.teacher = teacher
        self.score = score
        self.advantage_norm = advantage_norm
        self.task_map = task_map
        self.check_tasks = check_tasks
        self.step_updates = bool(getattr(teacher, "requires_step_updates", False))
        n = self.num_envs
        self.running: list[Any] = [None] * n  # teacher task of each env's running episode
        self.pending: list[Any] = [None] * n  # teacher task already set for the next episode
        self._running_env: list[Any] = [None] * n
        self._pending_env: list[Any] = [None] * n
        self._returns = np.zeros(n, dtype=np.float64)
        self._vec_steps = 0  # step() calls; an episode's length is counted from its start
        self._started = [0] * n
        self._actions: np.ndarray | None = None
        #: Env steps taken through this wrapper (set it when resuming a run).
        self.num_timesteps = 0
        #: Episodes reported to the teacher so far (the next history row's ``"episode"``).
        self.n_episodes = 0
        self._records: list[dict[str, Any]] = []
        # advantage mode: finished episodes waiting for their advantages, and the running
        # |advantage| sum / count of the open episode of each env.
        self._awaiting: list[deque] = [deque() for _ in range(n)]
        self._adv_sum = np.zeros(n, dtype=np.float64)
        self._adv_count = np.zeros(n, dtype=np.int64)
        # SubprocVecEnv: set_task messages ride with the next step (see _set_pending)
        self._deferred_tasks = isinstance(venv, SubprocVecEnv)
        self._unsent: dict[int, Any] = {}
        self._replies_due: list[int] = []
        # feedback the teacher requires: first observations kept for V(s0)
        self.requires = frozenset(getattr(teacher, "requires", frozenset()))
        self._first_obs: list[Any] = [None] * n
        self.value_estimator: Callable[[Any], np.ndarray] | None = None
        self.task_value_fn: TaskValueFunction | None = None

    # ------------------------------------------------------------------ student feedback
    def attach_student(
        self, model: Any, env_fn: Callable[[], Any] | None = None, seed: int | None = None
    ) -> None:
        """Give the loop the student whose critic values episodes (teachers requiring
        ``"value"``) and tasks (teachers with ``requires_value_fn``; then ``env_fn`` builds
        the scratch env whose resets give each task's first observation). Call it after
        building (or loading) the model; a no-op for teachers that need neither.

        :param model: the SB3 model trained on this env (PPO, A2C: a state-value network).
        :param env_fn: builds one env of the run (no ``Monitor`` needed); required for
            ``requires_value_fn``.
        :param seed: seed of the scratch env's first reset.
        :raises ValueError: if the model has no state-value network, or ``env_fn`` is
            missing for a teacher with ``requires_value_fn``.
        """
        teacher = self.teacher
        if not needs_value(teacher):
            return
        check_student_provides(teacher, type(model))
        value = PolicyValue(model)
        self.value_estimator = value
        if getattr(teacher, "requires_value_fn", False):
            if env_fn is None:
                raise ValueError(
                    f"teacher {type(teacher).__name__} requires a value function over tasks: pass env_fn "
                    "(builds a scratch env) to attach_student"
                )
            if self.task_value_fn is not None:
                self.task_value_fn.close()
            self.task_value_fn = TaskValueFunction(value, env_fn, task_map=self.task_map, seed=seed)
            teacher.set_value_fn(self.task_value_fn)

    def _feedback(self, done: list[int], infos: list[dict]) -> list[dict[str, Any]]:
        """The required feedback of the episodes of envs ``done`` (one forward pass)."""
        out: list[dict[str, Any]] = [{} for _ in done]
        if not self.requires:
            return out
        if "value" in self.requires:
            if self.value_estimator is None:
                raise RuntimeError(
                    f"teacher {type(self.teacher).__name__} requires 'value': call attach_student(model) "
                    "on the CurriculumVecEnv before training (run_curriculum does)"
                )
            values = self.value_estimator(stack_obs([self._first_obs[i] for i in done]))
            for k, v in enumerate(values):
                out[k]["value"] = float(v)
        for k, i in enumerate(done):
            if "success" in self.requires:
                if "success" not in infos[k]:
                    raise RuntimeError(
                        f"teacher {type(self.teacher).__name__} requires 'success', but env {i} reported no "
                        "info['success'] at episode end (the env contract asks for it)"
                    )
                out[k]["success"] = bool(infos[k]["success"])
            if "steps" in self.requires:
                out[k]["steps"] = self._vec_steps - self._started[i]
        return out

    def _keep_first_obs(self, obs: Any, indices: list[int]) -> None:
        if "value" in self.requires:
            for i in indices:
                self._first_obs[i] = obs_row(obs, i)

    def close(self) -> None:
        if self.task_value_fn is not None:
            self.task_value_fn.close()
        super().close()

    # ------------------------------------------------------------------ tasks
    def _env_task(self, task: Any) -> Any:
        return task if self.task_map is None else self.task_map(task)

    def _set_pending(self, indices: list[int]) -> None:
        """Sample the next task of every env in ``indices`` and set it in the env.

        ``SubprocVecEnv``: the ``set_task`` messages are not sent here but just before the next
        ``step`` message to the same workers (:meth:`step_async`), and their replies are read
        before the step's (:meth:`step_wait`): a worker applies its task before stepping, as
        the contract needs, and the round trip overlaps the step instead of adding one.
        Nothing is left outstanding between ``step_wait`` and ``step_async``, so other calls
        on the vector env stay safe.
        """
        tasks = [self.teacher.sample() for _ in indices]
        for i, task in zip(indices, tasks, strict=True):
            self.pending[i], self._pending_env[i] = task, self._env_task(task)
            if self._deferred_tasks:
                self._unsent[i] = self._pending_env[i]
        if not self._deferred_tasks:
            for i in indices:
                self.venv.env_method("set_task", self._pending_env[i], indices=[i])

    def _send_tasks(self) -> list[int]:
        """Send the unsent ``set_task`` messages (SubprocVecEnv); return the envs to read from."""
        unsent, self._unsent = self._unsent, {}
        for i, env_task in unsent.items():
            self.venv.remotes[i].send(("env_method", ("set_task", (env_task,), {})))
        return list(unsent)

    def _receive(self, indices: list[int]) -> None:
        """Read the ``set_task`` replies of the workers ``indices`` (SubprocVecEnv)."""
        for i in indices:
            self.venv.remotes[i].recv()

    def _check_task(self, i: int, info: dict, expected: Any, when: str) -> None:
        if not self.check_tasks or "task" not in info:
            return
        want = _as_list(expected)
        if isinstance(want, dict):
            return  # dict tasks set only some parameters; nothing exact to compare
        want = want if isinstance(want, list) else [want]
        if not _same_task(info["task"], want):
            raise RuntimeError(
                f"task attribution error in env {i} ({when}): the env ran task "
                f"{np.ravel(info['task']).tolist()}, the curriculum expected {want}; does the "
                "env apply set_task at the next reset, as the env contract requires?"
            )

    def _start_next(self, indices: list[int]) -> None:
        """Envs ``indices`` just reset: their pending tasks run now; set the next ones."""
        # (no check against the reset info here: the episode-end check covers it)
        for i in indices:
            self.running[i], self._running_env[i] = self.pending[i], self._pending_env[i]
        self._set_pending(indices)

    # ------------------------------------------------------------------ VecEnv API
    def reset(self):
        """Reset every env; pending tasks (sampled now where missing) become the running ones."""
        try:
            return self._reset()
        except _WORKER_DEATH as err:
            raise RuntimeError("a vector-env worker process died during reset") from err

    def _reset(self):
        missing = [i for i in range(self.num_envs) if self.pending[i] is None]
        if missing:
            self._set_pending(missing)
        if self._deferred_tasks:  # the reset must see every pending task
            self._receive(self._send_tasks())
        obs = self.venv.reset()
        self._keep_first_obs(obs, list(range(self.num_envs)))
        self._returns[:] = 0.0
        self._started = [self._vec_steps] * self.num_envs
        self._adv_sum[:] = 0.0
        self._adv_count[:] = 0
        for q in self._awaiting:
            q.clear()
        self._start_next(list(range(self.num_envs)))
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions
        if self._deferred_tasks:
            try:
                self._replies_due = self._send_tasks()
            except _WORKER_DEATH as err:
                raise RuntimeError("a vector-env worker process died; training stopped") from err
        self.venv.step_async(actions)

    def step_wait(self):
        try:
            return self._step_wait()
        except _WORKER_DEATH as err:
            raise RuntimeError(
                "a vector-env worker process died (see its traceback above); training stopped"
            ) from err

    def _step_wait(self):
        if self._replies_due:  # set_task replies come before the step's, pipe by pipe
            due, self._replies_due = self._replies_due, []
            self._receive(due)
        obs, rewards, dones, infos = self.venv.step_wait()
        self._returns += rewards
        self._vec_steps += 1
        self.num_timesteps += self.num_envs
        if self.step_updates:
            for i in range(self.num_envs):
                o = infos[i].get("terminal_observation", obs[i]) if dones[i] else obs[i]
                self.teacher.step_update(
                    self.running[i], o, self._actions[i], float(rewards[i]), bool(dones[i])
                )
        done = dones.nonzero()[0].tolist()
        if done:
            feedback = self._feedback(done, [infos[i] for i in done])
            for i, fb in zip(done, feedback, strict=True):
                self._finish(i, infos[i], fb)
            self._keep_first_obs(obs, done)  # the auto-reset observations start the next episodes
            self._start_next(done)
        return obs, rewards, dones, infos

    def _finish(self, i: int, info: dict, feedback: dict[str, Any] | None = None) -> None:
        self._check_task(i, info, self._running_env[i], "at episode end")
        env_task = info.get("task", self._running_env[i])
        success = bool(info.get("success", False))
        record: dict[str, Any] = {
            "episode": -1,
            "step": int(self.num_timesteps),
            "env": i,
            "task": _as_list(env_task),
            "score": None,
            "return": float(self._returns[i]),
            "length": self._vec_steps - self._started[i],
            "success": success,
        }
        if self.task_map is not None:
            record["teacher_task"] = _as_list(self.running[i])
        self._returns[i] = 0.0
        self._started[i] = self._vec_steps
        feedback = feedback or {}
        if self.score in ADVANTAGE_SCORES:
            self._awaiting[i].append((self.running[i], record, feedback))
        else:
            score = record["return"] if self.score == "return" else float(success)
            self._deliver(self.running[i], record, score, feedback)

    def _deliver(self, task: Any, record: dict[str, Any], score: float, feedback: dict[str, Any]) -> None:
        self.teacher.update(task, score, **feedback)
        record["score"] = float(score)
        record["episode"] = self.n_episodes
        self.n_episodes += 1
        self._records.append(record)

    # ------------------------------------------------------------------ advantage signal
    def deliver_advantages(
        self, advantages: np.ndarray, episode_starts: np.ndarray, last_dones: np.ndarray
    ) -> None:
        """Score the episodes that ended in a rollout with their mean |advantage|.

        With ``advantage_norm="batch"`` the rollout's advantages are first divided by their
        standard deviation over the whole buffer (all steps, all envs; 1 if they are all
        equal), so the score is unit-free and comparable across envs and reward scales.

        Called at rollout end, after GAE (see :class:`AdvantageCallback`). Each env's rows are
        split at episode ends; the |advantage| sum and count of an episode still running at the
        end of the rollout are carried to the next rollout, so an episode spanning rollouts is
        scored over all its steps and delivered once, at the end of the rollout where it ended
        (its last step's advantage is computed there). The step count is cross-checked against
        the episode length.

        :param advantages: ``(n_steps, n_envs)`` GAE advantages of the rollout.
        :param episode_starts: ``(n_steps, n_envs)``: row ``t`` starts a new episode.
        :param last_dones: ``(n_envs,)`` done flags of the rollout's last step.
        """
        if self.score not in ADVANTAGE_SCORES:
            return
        signed = np.asarray(advantages, dtype=np.float64).reshape(len(advantages), -1)
        adv = np.abs(signed) if self.score == "advantage" else np.maximum(signed, 0.0)
        if self.advantage_norm == "batch":
            std = float(signed.std())
            # Each rollout is scaled by its own std (the one PPO trains it with), also for an
            # episode whose steps span two rollouts.
            adv /= std if std > 1e-8 else 1.0
        starts = np.asarray(episode_starts, dtype=bool).reshape(adv.shape)
        # ends[t, i]: the episode of env i ended with the step at row t.
        ends = np.concatenate([starts[1:], np.asarray(last_dones, dtype=bool)[None]], axis=0)
        for i in range(self.num_envs):
            col, prev = adv[:, i], 0
            for t in np.flatnonzero(ends[:, i]):
                total = self._adv_sum[i] + col[prev : t + 1].sum()
                count = self._adv_count[i] + (t + 1 - prev)
                if not self._awaiting[i]:
                    raise RuntimeError(f"advantage bookkeeping error: env {i} ended an unknown episode")
                task, record, feedback = self._awaiting[i].popleft()
                if count != record["length"]:
                    raise RuntimeError(
                        f"advantage bookkeeping error: env {i} episode of length "
                        f"{record['length']} has {count} rollout rows"
                    )
                self._deliver(task, record, float(total / count), feedback)
                self._adv_sum[i], self._adv_count[i], prev = 0.0, 0, t + 1
            self._adv_sum[i] += col[prev:].sum()
            self._adv_count[i] += len(col) - prev

    # ------------------------------------------------------------------ records
    def pop_records(self) -> list[dict[str, Any]]:
        """History rows of the episodes delivered since the last call, in teacher order.

        Rows accumulate until popped: call this regularly (the run loop does, every step).
        """
        records, self._records = self._records, []
        return records

    @property
    def awaiting_advantage(self) -> int:
        """Finished episodes whose advantage score is not delivered yet."""
        return sum(len(q) for q in self._awaiting)


def find_curriculum_env(env: VecEnv | None) -> CurriculumVecEnv:
    """The :class:`CurriculumVecEnv` inside a chain of ``VecEnvWrapper`` s (SB3's
    ``unwrap_vec_wrapper``).

    :raises ValueError: if there is none.
    """
    found = unwrap_vec_wrapper(env, CurriculumVecEnv) if env is not None else None
    if found is None:
        raise ValueError("no CurriculumVecEnv found in the model's env wrappers")
    return found


class AdvantageCallback(BaseCallback):
    """Delivers the advantage scores at rollout end (on-policy algorithms).

    Add it to ``model.learn(callback=...)`` when the curriculum's score is one of
    :data:`ADVANTAGE_SCORES`;
    :func:`students.train.run_curriculum` does so itself.
    """

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        buffer = getattr(self.model, "rollout_buffer", None)
        if buffer is None:
            raise ValueError("the 'advantage' score needs an on-policy algorithm (PPO, A2C)")
        find_curriculum_env(self.model.get_env()).deliver_advantages(
            buffer.advantages, buffer.episode_starts, self.locals["dones"]
        )
