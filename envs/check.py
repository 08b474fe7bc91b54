""":func:`check_task_env`: does an env follow the env contract (:mod:`envs.base`)?

As gymnasium's ``check_env`` checks its API, this checks the task contract on any env, with or
without wrappers (``gymnasium.make`` results, :class:`envs.TaskWrapper`). The checks run in the
order of :data:`CHECKS`; the first that fails raises :class:`TaskEnvCheckError` (an
``AssertionError``) whose :attr:`~TaskEnvCheckError.check` names it:

- ``task_space``: ``task_space`` is a 1-D float ``Box`` with finite bounds, ``task_names`` as
  many distinct strings, and ``set_task`` is callable.
- ``info``: ``info["task"]`` (a float64 copy of shape ``(d,)`` inside ``task_space``) is in the
  reset info and every step info, and equals the active task; ``info["success"]`` (a bool) is
  in every step info. (Every rollout of the later checks checks this as well.)
- ``validation``: ``set_task`` rejects at once, with a ``ValueError``, a task outside the bounds
  or NaN (the message names the parameter) and a task of the wrong length or not numeric; a
  rejected task changes nothing; ``reset(options={"task": bad})`` raises too.
- ``determinism``: the same seed and task give the same trajectory, whatever ran before (the
  later checks compare trajectories, so they rely on it).
- ``set_task_at_reset``: ``set_task`` during an episode changes neither the episode's dynamics nor
  ``info["task"]``; the task is active from the next ``reset`` on and persists across resets.
- ``reset_options``: ``reset(options={"task": t})`` applies ``t`` now, over a pending task, and
  ``t`` becomes the pending task.
- ``tasks``: the corners and the center of the task space run (observations in the observation
  space, finite rewards).
- ``independence``: a second instance, stepped, reset and given tasks in between, does not
  change the env's trajectory (no task or parameter in module globals or class attributes).
- ``gymnasium``: gymnasium's own ``check_env`` passes at the low corner, the high corner and
  the center of the task space.

Rollouts are short (``n_steps`` fixed actions) so the whole check takes at most about half a
second for the envs of this package.
"""

from __future__ import annotations

import copy
import itertools
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env as gym_check_env

__all__ = ["CHECKS", "TaskEnvCheckError", "check_task_env"]

#: The names of the checks, in the order they run.
CHECKS: tuple[str, ...] = (
    "task_space", "info", "validation", "determinism", "set_task_at_reset", "reset_options",
    "tasks", "independence", "gymnasium",
)


class TaskEnvCheckError(AssertionError):
    """An env broke the env contract; :attr:`check` names the failed check (one of :data:`CHECKS`).

    :param check: the failed check.
    :param message: what broke.
    """

    def __init__(self, check: str, message: str) -> None:
        self.check = check
        super().__init__(f"check_task_env[{check}]: {message}")


def _fmt(task: Any) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in np.asarray(task, dtype=np.float64).reshape(-1)) + "]"


class _Tracked:
    """An env plus the contract's model of it (active and pending task); checks every info."""

    def __init__(self, env: gym.Env, checker: _Checker, label: str) -> None:
        self.env, self.checker, self.label = env, checker, label
        self._set_task = env.get_wrapper_attr("set_task")
        self.active: np.ndarray | None = None
        self.pending: np.ndarray | None = None
        self.event = "the first reset"  # what set the expected task, for messages

    def flat(self, obs: Any) -> np.ndarray:
        space = self.env.observation_space
        if not space.contains(obs):
            self.checker.fail(f"{self.label}: observation {obs!r} is not in the observation space {space}")
        return np.asarray(spaces.flatten(space, obs), dtype=np.float64).reshape(-1)

    def set_task(self, task: np.ndarray) -> None:
        self._set_task(task.copy())
        self.pending = task.copy()
        self.event = f"set_task({_fmt(task)})"

    def reset(self, seed: int | None = None, task: np.ndarray | None = None) -> np.ndarray:
        if task is not None:
            obs, info = self.env.reset(seed=seed, options={"task": task.copy()})
            self.pending = task.copy()
            self.event = f"reset(options={{'task': {_fmt(task)}}})"
        else:
            obs, info = self.env.reset(seed=seed)
        self.active = self.pending
        got = self._info_task(info, "reset")
        if self.active is None:  # the env's own initial task: any task of the space
            self.active = self.pending = got
        return self.flat(obs)

    def step(self, action: Any) -> tuple[np.ndarray, bool]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._info_task(info, "step")
        if "success" not in info:
            self.checker.fail(f"{self.label}: step info has no 'success' key (keys: {sorted(info)})")
        if not isinstance(info["success"], (bool, np.bool_)):
            self.checker.fail(
                f"{self.label}: info['success'] must be a bool, got {type(info['success']).__name__} "
                f"{info['success']!r}"
            )
        if not np.isfinite(float(reward)):
            self.checker.fail(f"{self.label}: step returned the reward {reward!r}")
        row = np.concatenate([self.flat(obs), [float(reward), float(terminated), float(truncated)]])
        return row, bool(terminated or truncated)

    def _info_task(self, info: dict[str, Any], where: str) -> np.ndarray:
        if "task" not in info:
            self.checker.fail(f"{self.label}: {where} info has no 'task' key (keys: {sorted(info)})")
        got = np.asarray(info["task"])
        space = self.checker.task_space
        if got.shape != space.shape or not np.issubdtype(got.dtype, np.floating):
            self.checker.fail(
                f"{self.label}: {where} info['task'] must be a float array of shape {space.shape}, "
                f"got {info['task']!r}"
            )
        if not space.contains(got.astype(space.dtype)):
            self.checker.fail(f"{self.label}: {where} info['task'] = {_fmt(got)} is outside the task space")
        if self.active is not None and not np.array_equal(got, self.active):
            self.checker.fail(
                f"{self.label}: {where} info['task'] = {_fmt(got)}, but after {self.event} the "
                f"active task is {_fmt(self.active)} (set_task applies at the next reset; "
                "reset(options={'task': t}) applies t now)"
            )
        return got.astype(np.float64)

    def close(self) -> None:
        self.env.close()


class _Checker:
    """Runs :data:`CHECKS` on one env; :meth:`fail` raises under the check now running."""

    def __init__(self, env: gym.Env, make_env: Callable[[], gym.Env] | None, n_steps: int, seed: int) -> None:
        self.env, self.make_env, self.n, self.seed = env, make_env, n_steps, seed
        self.current = "task_space"
        self.task_space: spaces.Box = None  # type: ignore[assignment]  (set by check_task_space)

    def fail(self, message: str) -> None:
        raise TaskEnvCheckError(self.current, message)

    def actions(self, env: gym.Env, seed: int) -> list[Any]:
        """``n`` fixed actions (a seeded copy of the action space; the env's own is untouched)."""
        space = copy.deepcopy(env.action_space)
        space.seed(seed)
        return [space.sample() for _ in range(self.n)]

    def rollout(
        self, tracked: _Tracked, task: np.ndarray | None, seed: int, reset_every: int | None = None,
        hook: Callable[[int], None] | None = None, one_episode: bool = False,
    ) -> list[np.ndarray]:
        """Rows (flat obs, then reward/terminated/truncated) of a reset and ``n`` fixed steps;
        resets without options at episode ends (or stops there if ``one_episode``) and every
        ``reset_every`` steps; ``hook(i)`` runs before step ``i``."""
        rows = [tracked.reset(seed=seed, task=task)]
        for i, action in enumerate(self.actions(tracked.env, seed)):
            if hook is not None:
                hook(i)
            row, done = tracked.step(action)
            rows.append(row)
            if done and one_episode:
                break
            if done or (reset_every and (i + 1) % reset_every == 0):
                rows.append(tracked.reset())
        return rows

    def same(self, a: list[np.ndarray], b: list[np.ndarray], what: str) -> None:
        for k, (row_a, row_b) in enumerate(zip(a, b, strict=False)):  # lengths compared below
            if row_a.shape != row_b.shape or not np.array_equal(row_a, row_b, equal_nan=True):
                self.fail(f"{what}: the trajectories differ at row {k}: {row_a} vs {row_b}")
        if len(a) != len(b):
            self.fail(f"{what}: the trajectories have {len(a)} and {len(b)} rows")

    # ------------------------------------------------------------------------------ checks
    def check_task_space(self) -> None:
        try:
            space = self.env.get_wrapper_attr("task_space")
            names = self.env.get_wrapper_attr("task_names")
            set_task = self.env.get_wrapper_attr("set_task")
        except AttributeError as err:
            self.fail(f"the env lacks part of the contract: {err}")
        if not isinstance(space, spaces.Box) or len(space.shape) != 1 or space.shape[0] < 1:
            self.fail(f"task_space must be a 1-D gymnasium Box, got {space!r}")
        if not np.issubdtype(space.dtype, np.floating):
            self.fail(f"task_space must have a float dtype, got {space.dtype}")
        if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
            self.fail(f"task_space bounds must be finite, got low={space.low}, high={space.high}")
        if np.any(space.low > space.high):
            self.fail(f"task_space has low > high: low={space.low}, high={space.high}")
        names = list(names)
        if (
            len(names) != space.shape[0] or len(set(names)) != len(names)
            or not all(isinstance(n, str) and n for n in names)
        ):
            self.fail(f"task_names must be {space.shape[0]} distinct non-empty strings, got {names!r}")
        if not callable(set_task):
            self.fail(f"set_task must be callable, got {set_task!r}")
        self.task_space, self.names = space, names
        low, high = space.low.astype(np.float64), space.high.astype(np.float64)
        self.low, self.high = low, high
        self.center = low + 0.5 * (high - low)
        self.task_a, self.task_b = low + 0.25 * (high - low), low + 0.75 * (high - low)

    def check_info(self) -> None:
        tracked = _Tracked(self.env, self, "env")
        tracked.reset(seed=self.seed)  # the env's current task, whatever it is
        _, info = self.env.reset(seed=self.seed, options={"task": self.task_a.copy()})
        tracked.pending = tracked.active = self.task_a
        tracked._info_task(info, "reset")
        if np.asarray(info["task"]).dtype != np.float64:
            self.fail(f"info['task'] must be float64, got {np.asarray(info['task']).dtype}")
        info["task"][...] = self.task_b  # a copy: writing into it must not change the env
        tracked.event = "writing into a previous info['task'] (info['task'] must be a copy)"
        tracked.step(self.actions(self.env, self.seed)[0])
        tracked.reset()
        self.rollout(tracked, None, self.seed, reset_every=max(self.n // 2, 1))

    def check_validation(self) -> None:
        tracked = _Tracked(self.env, self, "env")
        tracked.set_task(self.center)
        set_task = self.env.get_wrapper_attr("set_task")
        span = self.high - self.low
        for i, name in enumerate(self.names):
            margin = max(float(span[i]), 1.0)
            for value, what in ((self.high[i] + margin, "above its upper bound"),
                                (self.low[i] - margin, "below its lower bound"), (np.nan, "NaN")):
                bad = self.center.copy()
                bad[i] = value
                self.rejects(set_task, bad, f"set_task with {name}={value:g} ({what})", name)
        d = len(self.names)
        self.rejects(set_task, np.append(self.center, self.center[0]), f"set_task with {d + 1} values")
        if d > 1:
            self.rejects(set_task, self.center[:-1], f"set_task with {d - 1} values")
        self.rejects(set_task, "not a task", "set_task('not a task')")
        bad = self.center.copy()
        bad[0] = self.high[0] + max(float(span[0]), 1.0)
        self.rejects(
            lambda t: self.env.reset(options={"task": t}), bad,
            f"reset(options={{'task': ...}}) with {self.names[0]}={bad[0]:g}", self.names[0],
        )
        tracked.pending = self.center  # the rejected tasks must have changed nothing
        tracked.event = f"set_task({_fmt(self.center)}) and then only rejected tasks"
        tracked.reset(seed=self.seed)

    def rejects(self, call: Callable[[Any], Any], task: Any, what: str, name: str | None = None) -> None:
        try:
            call(task.copy() if isinstance(task, np.ndarray) else task)
        except ValueError as err:
            if name is not None and name not in str(err):
                self.fail(f"{what} raised a ValueError that does not name {name!r}: {err}")
            return
        except Exception as err:  # noqa: BLE001 (reported as the contract breach it is)
            self.fail(f"{what} raised {type(err).__name__} ({err}); the contract asks for a ValueError")
        self.fail(f"{what} was accepted; it must raise a ValueError at once")

    def check_set_task_at_reset(self) -> None:
        tracked = _Tracked(self.env, self, "env")
        reference = self.rollout(tracked, self.task_a, self.seed, one_episode=True)
        switched = []

        def set_midway(i: int) -> None:
            if i == 1:  # after the first step: the episode is running
                switched.append(i)
                self.env.get_wrapper_attr("set_task")(self.task_b.copy())
                tracked.event = f"set_task({_fmt(self.task_b)}) during the episode"
                tracked.pending = self.task_b

        midway = self.rollout(tracked, self.task_a, self.seed, hook=set_midway, one_episode=True)
        if not switched:  # the episode ended at once; set_task between episodes then
            tracked.set_task(self.task_b)
        self.same(reference, midway,
                  "set_task during an episode changed that episode (it must apply at the next reset)")
        tracked.event = f"set_task({_fmt(self.task_b)})"
        for _ in range(2):  # active from the next reset on, and it persists
            tracked.reset()
            tracked.step(self.actions(self.env, self.seed)[0])

    def check_reset_options(self) -> None:
        tracked = _Tracked(self.env, self, "env")
        tracked.set_task(self.task_a)
        tracked.reset(seed=self.seed, task=self.task_b)  # over the pending task
        tracked.step(self.actions(self.env, self.seed)[0])
        tracked.reset()  # it became the pending task
        tracked.step(self.actions(self.env, self.seed)[0])

    def corners(self) -> list[np.ndarray]:
        d = len(self.names)
        if d <= 3:
            picks: Iterable[tuple[bool, ...]] = itertools.product((False, True), repeat=d)
        else:
            alternate = tuple(i % 2 == 1 for i in range(d))
            picks = [(False,) * d, (True,) * d, alternate, tuple(not p for p in alternate)]
        return [np.where(p, self.high, self.low) for p in picks] + [self.center]

    def check_tasks(self) -> None:
        tracked = _Tracked(self.env, self, "env")
        for task in self.corners():
            try:
                self.rollout(tracked, task, self.seed)
            except TaskEnvCheckError:
                raise
            except Exception as err:
                self.fail(f"task {_fmt(task)} broke the env: {type(err).__name__}: {err}")

    def check_determinism(self) -> None:
        tracked = _Tracked(self.env, self, "env")
        every = max(self.n // 2, 1)
        first = self.rollout(tracked, self.center, self.seed, reset_every=every)
        self.rollout(tracked, self.high, self.seed + 1, reset_every=every)  # another history
        again = self.rollout(tracked, self.center, self.seed, reset_every=every)
        self.same(first, again, f"the same seed ({self.seed}) and task ({_fmt(self.center)}) "
                                "after another seed and task")

    def check_independence(self) -> None:
        tracked = _Tracked(self.env, self, "env")
        every = max(self.n // 2, 1)
        alone = self.rollout(tracked, self.task_a, self.seed, reset_every=every)
        other = _Tracked(self.make_env(), self, "second instance")
        try:
            other_space = other.env.get_wrapper_attr("task_space")
            if other_space != self.task_space:
                self.fail(f"make_env built an env with another task space: {other_space} vs {self.task_space}")
            other.reset(seed=self.seed + 1, task=self.task_b)
            other_actions = self.actions(other.env, self.seed + 1)

            def meddle(i: int) -> None:
                other.set_task(self.high if i % 2 else self.low)
                _, done = other.step(other_actions[i])
                if done or i % 3 == 2:
                    other.reset()

            tracked.label = "env (with a second instance stepped and given tasks alongside)"
            together = self.rollout(tracked, self.task_a, self.seed, reset_every=every, hook=meddle)
        finally:
            other.close()
        self.same(alone, together, "a second instance given other tasks changed this env's trajectory "
                                   "(tasks or parameters shared between instances)")

    def check_gymnasium(self) -> None:
        layer = _task_layer(self.env)
        set_task = self.env.get_wrapper_attr("set_task")
        for task in (self.low, self.high, self.center):
            set_task(task.copy())
            try:
                with warnings.catch_warnings():
                    # Our task layer may be a wrapper (TaskWrapper); that is expected here.
                    warnings.filterwarnings("ignore", message=".*different from the unwrapped version")
                    gym_check_env(layer, skip_render_check=True)
            except AssertionError as err:
                self.fail(f"gymnasium's check_env failed at task {_fmt(task)}: {err}")


def _task_layer(env: gym.Env) -> gym.Env:
    """The innermost layer of ``env`` that has ``set_task`` (where the contract lives)."""
    layers = [env]
    while isinstance(layers[-1], gym.Wrapper):
        layers.append(layers[-1].env)
    for layer in reversed(layers):
        if callable(getattr(type(layer), "set_task", None)):
            return layer
    return env


def check_task_env(
    env: gym.Env,
    make_env: Callable[[], gym.Env] | None = None,
    n_steps: int = 20,
    seed: int = 0,
    skip: Iterable[str] = (),
) -> None:
    """Check that ``env`` follows the env contract (see the module docstring for the checks).

    The env is reset, stepped and given tasks; its pending task afterwards is unspecified.

    :param env: the env, bare or wrapped (a ``gymnasium.make`` result).
    :param make_env: builds a second instance for the ``independence`` check; default
        ``gymnasium.make(env.spec)`` for envs made by ``gymnasium.make``.
    :param n_steps: steps per rollout (fixed seeded actions).
    :param seed: the reset and action seed.
    :param skip: names of checks not to run (see :data:`CHECKS`).
    :raises TaskEnvCheckError: (an ``AssertionError``) naming the first failed check.
    :raises ValueError: for an unknown check name in ``skip``, ``n_steps < 2``, or no way to
        build a second instance while ``independence`` is not skipped.
    """
    skip = set(skip)
    unknown = sorted(skip - set(CHECKS))
    if unknown:
        raise ValueError(f"unknown check(s) {unknown} in skip; checks: {list(CHECKS)}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 2:
        raise ValueError(f"n_steps must be an int >= 2, got {n_steps!r}")
    if not isinstance(env, gym.Env):
        raise ValueError(f"check_task_env needs a gymnasium.Env, got {env!r}")
    if make_env is None and "independence" not in skip:
        spec = env.spec
        if spec is None:
            raise ValueError(
                f"{env} has no spec (it was not made by gymnasium.make): pass make_env to build a "
                "second instance, or skip=('independence',)"
            )
        make_env = lambda: gym.make(spec)  # noqa: E731
    checker = _Checker(env, make_env, n_steps, seed)
    checker.check_task_space()  # always: the other checks need the task space
    for name in CHECKS[1:]:
        if name in skip:
            continue
        checker.current = name
        try:
            getattr(checker, f"check_{name}")()
        except TaskEnvCheckError:
            raise
        except Exception as err:
            raise TaskEnvCheckError(name, f"{type(err).__name__}: {err}") from err
