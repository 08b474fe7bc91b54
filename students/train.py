"""One curriculum run, start to finish: :func:`run_curriculum`.

It builds the envs (``DummyVecEnv`` or ``SubprocVecEnv``), the teacher, the
:class:`~students.curriculum.CurriculumVecEnv` and the SB3 student, then trains with the
callbacks of :mod:`students.callbacks` (one job each: history rows, metrics, teacher
snapshots, test-set evaluations, checkpoints). ``resume=RUN_DIR`` continues
a run from its latest checkpoint.

Resuming: the model (+ replay buffer), teacher, counters and global RNG states come from the
checkpoint; the run-directory files are cut back to their size at the checkpoint, so the
history is the exact concatenation of the episodes before the checkpoint and those after the
resume. Episodes running at checkpoint time never finished in the history's timeline and are
not reported; the resumed envs start fresh episodes (reset with seed ``seed + 1000 * k`` at
the ``k``-th resume, so they do not replay the first part's env randomness) on freshly
sampled tasks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import configure as configure_sb3_logger
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecNormalize

import teachers
from envs.test_sets import load_test_set
from students.callbacks import PretestCallback, RunCallbacks
from students.checkpoint import set_rng_states
from students.config import ON_POLICY, RESUME_FIELDS, RunConfig, algorithm_class, import_env_module
from students.curriculum import ADVANTAGE_SCORES, AdvantageCallback, CurriculumVecEnv
from students.evaluation import TaskEvaluator, make_test_set
from students.expert import expert_teacher_params
from students.levels import LevelSet
from students.loggers import MultiLogger, RunLogger
from students.resume import Resume, open_resume
from students.run_dir import CONFIG_FILE, RunDirectory, RunDirError, RunLock, mark_done
from students.values import check_student_provides
from students.vec_env import GuardedSubprocVecEnv

__all__ = ["EnvFactory", "RunResult", "make_loggers", "planned_steps", "run_curriculum"]


class EnvFactory:
    """Picklable env builder for vector envs (works under forkserver/spawn).

    :param env_id: gymnasium id (``"module:Id"`` allowed); ``envs`` is imported first.
    :param env_kwargs: ``gymnasium.make`` keyword arguments.
    :param monitor: wrap in SB3's ``Monitor`` (episode stats in SB3's logs).
    """

    def __init__(self, env_id: str, env_kwargs: dict[str, Any] | None = None, monitor: bool = True):
        self.env_id, self.env_kwargs, self.monitor = env_id, dict(env_kwargs or {}), monitor

    def __call__(self) -> gym.Env:
        import_env_module(self.env_id)
        env = gym.make(self.env_id, **self.env_kwargs)
        return Monitor(env) if self.monitor else env


def make_vec_env(config: RunConfig) -> VecEnv:
    """The training vector env of ``config`` (not yet seeded)."""
    fns = [EnvFactory(config.env, config.env_kwargs) for _ in range(config.n_envs)]
    if config.vec_env == "subproc":
        return make_subproc_vec_env(fns, config.start_method)
    return DummyVecEnv(fns)


def make_subproc_vec_env(env_fns: Sequence[Callable[[], gym.Env]], start_method: str) -> GuardedSubprocVecEnv:
    """A :class:`~students.vec_env.GuardedSubprocVecEnv` with ``start_method`` (a dead worker
    raises at once); under forkserver, SB3 and the env module are preloaded in the fork
    server so each worker starts without re-importing torch."""
    if start_method == "forkserver":
        multiprocessing.set_forkserver_preload([__name__])
    return GuardedSubprocVecEnv(list(env_fns), start_method=start_method)


def make_loggers(config: RunConfig, run_dir: Path) -> list[RunLogger]:
    """The run's loggers besides the run directory writer: W&B unless it is disabled.

    W&B writes under ``run_dir/wandb`` and keeps its run id there, so a resumed run
    continues the same W&B run.
    """
    if config.wandb_mode == "disabled":
        return []
    from students.wandb_logger import WandbLogger  # wandb is slow to import: only when used

    return [
        WandbLogger(
            run_dir, mode=config.wandb_mode, project=config.wandb_project,
            group=config.wandb_group, tags=list(config.wandb_tags) or None, name=run_dir.name,
            verbose=config.wandb_verbose,
        )
    ]


@dataclasses.dataclass
class RunResult:
    """What :func:`run_curriculum` returns.

    :param run_dir: the run directory.
    :param steps: env steps done.
    :param episodes: episodes reported to the teacher.
    :param last_evaluation: the last evaluation record, or ``None``.
    :param model: the trained SB3 model.
    :param teacher: the teacher.
    """

    run_dir: Path
    steps: int
    episodes: int
    last_evaluation: dict[str, Any] | None
    model: Any = None
    teacher: Any = None


def planned_steps(model: Any, steps: int) -> int:
    """The env steps ``model.learn(steps)`` really runs: SB3 stops only between whole rollouts
    (on-policy: ``n_steps × n_envs``) or collection rounds (off-policy: ``train_freq × n_envs``
    when counted in steps), so ``steps`` is rounded up to those. Passing this to ``learn`` runs
    the same steps and makes its progress bar end at its total."""
    from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
    from stable_baselines3.common.type_aliases import TrainFrequencyUnit

    if isinstance(model, OnPolicyAlgorithm):
        chunk = model.n_steps * model.n_envs
    else:
        freq = getattr(model, "train_freq", None)
        per_round = freq.frequency if freq is not None and freq.unit == TrainFrequencyUnit.STEP else 1
        chunk = per_round * model.n_envs
    return -(-int(steps) // chunk) * chunk


def _show_progress(config: RunConfig) -> bool:
    """Whether to draw SB3's progress bar: as configured, else when stderr is a terminal."""
    if config.progress_bar is not None:
        return config.progress_bar
    import sys

    show = sys.stderr.isatty()
    if show:  # SB3 draws it with tqdm.rich, which warns that it is experimental on every run
        import warnings

        from tqdm import TqdmExperimentalWarning

        warnings.filterwarnings("ignore", category=TqdmExperimentalWarning)
    return show


def _default_run_dir(config: RunConfig) -> Path:
    env = config.env.split(":")[-1].split("/")[-1]
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    teacher = config.teacher.replace(":", "-")  # a `module:Class` teacher
    return Path(config.runs_root) / f"{env}_{teacher}_{config.student}_s{config.seed}_{stamp}"


def _task_space_info(env_fn: EnvFactory) -> tuple[Any, dict[str, Any], dict[str, Any] | None]:
    try:
        env = env_fn()
    except TypeError as err:
        raise ValueError(f"env {env_fn.env_id!r} rejected env_kwargs {env_fn.env_kwargs}: {err}") from err
    try:
        space = env.get_wrapper_attr("task_space")
        try:
            names = list(env.get_wrapper_attr("task_names"))
        except AttributeError:
            names = [f"x{k}" for k in range(space.shape[0])]
        knowledge = getattr(env.unwrapped, "expert_knowledge", None)
    except AttributeError as err:
        raise ValueError(f"env {env_fn.env_id!r} has no task_space: it does not follow the env contract") from err
    finally:
        env.close()
    return space, {"low": space.low.tolist(), "high": space.high.tolist(), "names": names}, knowledge


def run_curriculum(
    config: RunConfig | dict[str, Any] | None = None,
    resume: str | Path | None = None,
    task_map: Callable[[Any], Any] | None = None,
    teacher_space: Any = None,
    extra_loggers: Sequence[RunLogger] = (),
    log: Callable[[str], None] | None = print,
) -> RunResult:
    """Train a student under a teacher; write (or continue) a run directory.

    :param config: the run config (``RunConfig`` or dict). With ``resume``, the run's own
        ``config.yaml`` is used and only ``steps`` (to extend the run), ``progress_bar`` and
        ``device`` (a run saved on one device resumes on another) are taken from ``config``
        if given.
    :param resume: a run directory to continue from its latest checkpoint.
    :param task_map: maps teacher tasks to env tasks (identity by default). Not with
        ``config.levels``, which defines the map itself.
    :param teacher_space: the teacher's task space when ``task_map`` is given (default: the
        env's task space, or ``Discrete(len(levels))`` with ``config.levels``).
    :param extra_loggers: more run loggers (called after the run directory and W&B).
    :param log: where the run's few status lines go (``Resuming RUN from step N (E
        episodes)``); ``None`` for silence.
    :return: a :class:`RunResult`.
    :raises ValueError: for a bad config, an existing run dir without ``resume``, or a run
        dir without checkpoint with ``resume``.
    """
    with contextlib.ExitStack() as locks:  # the run dir's lock, held until the end
        opened: Resume | None = None
        loop_state: dict[str, Any] = {}
        if resume is not None:
            run_dir = Path(resume)
            if not run_dir.is_dir():
                raise RunDirError(f"cannot resume {str(run_dir)!r}: no such directory")
            given = config if isinstance(config, dict) else (config.to_dict() if config is not None else {})
            locks.enter_context(RunLock(run_dir))  # before reading: a writer may be changing it
            opened = open_resume(run_dir, {k: given[k] for k in RESUME_FIELDS if k in given})
            config, loop_state = opened.config, opened.loop_state
            if log is not None:
                log(f"Resuming {run_dir} from step {loop_state['step']} ({loop_state['n_episodes']} episodes)")
        else:
            config = RunConfig.from_dict(config) if isinstance(config, dict) else (config or RunConfig())
            config = _absolute_teacher_paths(config.replace().validate())
            run_dir = Path(config.run_dir) if config.run_dir else _default_run_dir(config)
            _check_new_run_dir(run_dir)
            config.run_dir = str(run_dir)
        return _run(config, run_dir, opened, loop_state, locks, task_map, teacher_space, extra_loggers, log)


def _absolute_teacher_paths(config: RunConfig) -> RunConfig:
    """``config`` with the teacher's file parameters (:attr:`teachers.Teacher.path_params`)
    made absolute, so that ``config.yaml`` finds them from any working directory."""
    names = teachers.get_class(config.teacher).path_params
    params = dict(config.teacher_params)
    for name in names:
        if isinstance(params.get(name), str | os.PathLike):
            params[name] = str(Path(params[name]).resolve())
    return config.replace(teacher_params=params) if params != config.teacher_params else config


def _check_new_run_dir(run_dir: Path) -> None:
    if (run_dir / CONFIG_FILE).exists():
        raise RunDirError(f"run directory {str(run_dir)!r} already holds a run; resume it or pick another")


def _run(
    config: RunConfig,
    run_dir: Path,
    opened: Resume | None,
    loop_state: dict[str, Any],
    locks: contextlib.ExitStack,
    task_map: Callable[[Any], Any] | None,
    teacher_space: Any,
    extra_loggers: Sequence[RunLogger],
    log: Callable[[str], None] | None,
) -> RunResult:
    """The body of :func:`run_curriculum`; a new run enters its lock into ``locks`` here,
    after every check and before its first write."""
    if config.torch_threads is not None:
        torch.set_num_threads(config.torch_threads)
    env_fn = EnvFactory(config.env, config.env_kwargs)
    task_space, space_info, knowledge = _task_space_info(env_fn)
    config_dict = {**config.to_dict(), "task_space": space_info}
    levels = LevelSet(config.levels) if config.levels is not None else None
    if opened is not None:
        test_set = opened.test_set
    elif config.eval_set == "levels":
        test_set = np.asarray(levels.tasks, dtype=np.float64)
    elif config.eval_set != "grid":  # a shipped test set (checked against the env's task space)
        test_set = load_test_set(config.eval_set, task_space)
    else:
        test_set = make_test_set(task_space, config.eval_tasks, seed=config.seed)

    teacher_params = {
        **expert_teacher_params(
            teachers.get_class(config.teacher), knowledge, config.expert_knowledge,
            box_tasks=levels is None and task_map is None,
        ),
        **config.teacher_params,
    }
    if levels is not None:
        if task_map is not None or teacher_space is not None:
            raise ValueError(
                "config.levels defines the teacher's space and task map; pass neither task_map nor teacher_space"
            )
        task_map, teacher_space = levels, levels.task_space
        if levels.names is not None and "arm_names" in teachers.get_class(config.teacher)._param_names():
            teacher_params["arm_names"] = levels.names
    teacher = teachers.make(
        config.teacher, teacher_space if teacher_space is not None else task_space,
        seed=config.seed, **teacher_params,
    )
    check_student_provides(teacher, algorithm_class(config.student), config.student)  # before any write
    if opened is not None:
        opened.restore_teacher(teacher)  # the last check that may refuse the run dir
    else:
        locks.enter_context(RunLock(run_dir))
        _check_new_run_dir(run_dir)  # again, now that no other writer can start one
    # -- first write to the run directory --
    run_directory = RunDirectory(run_dir)
    if opened is not None:
        run_directory.truncate(loop_state["offsets"])
    logger = MultiLogger([run_directory, *make_loggers(config, run_dir), *extra_loggers])

    venv: VecEnv | None = None
    curriculum: CurriculumVecEnv | None = None
    evaluator: TaskEvaluator | None = None
    try:
        venv = make_vec_env(config)
        venv.seed(config.seed + 1000 * int(loop_state.get("resumes", 0)))
        curriculum = CurriculumVecEnv(
            venv, teacher, score=config.score, task_map=task_map, advantage_norm=config.advantage_norm
        )
        algo = algorithm_class(config.student)
        env: VecEnv = curriculum
        if opened is not None:
            if opened.checkpoint.vec_normalize is not None:
                env = opened.checkpoint.vec_normalize
                env.set_venv(curriculum)
            model = opened.model
            model.set_env(env, force_reset=True)  # the fresh envs start new episodes
            curriculum.num_timesteps = model.num_timesteps
            curriculum.n_episodes = int(loop_state["n_episodes"])
            set_rng_states(loop_state["rng"])
        else:
            if config.normalize:
                env = VecNormalize(curriculum)
            model = algo(
                config.policy, env, seed=config.seed, device=config.device, **config.student_params
            )
        # the critic values episodes / tasks for teachers that require it (a scratch env
        # gives each task's first observation; seeded apart from training and evaluation)
        curriculum.attach_student(
            model, env_fn=EnvFactory(config.env, config.env_kwargs, monitor=False), seed=config.seed + 20_000
        )
        if config.eval_every > 0:
            evaluator = TaskEvaluator(
                EnvFactory(config.env, config.env_kwargs, monitor=False), test_set,
                n_episodes=config.eval_episodes, seed=config.seed + 10_000,
            )
        logger.on_start(config_dict, test_set.tolist())
        periods = {name: getattr(config, name) for name in ("log_every", "teacher_log_every", "eval_every", "checkpoint_every")}
        callback = RunCallbacks(curriculum, logger, run_directory, evaluator, periods, loop_state)
        callbacks: list[BaseCallback] = [callback]
        if teacher.uses_pretest:  # e.g. AGAIN: evaluate on its pre-test tasks when it asks
            callbacks.append(PretestCallback(
                curriculum,
                lambda tasks: TaskEvaluator(
                    EnvFactory(config.env, config.env_kwargs, monitor=False), tasks,
                    n_episodes=config.eval_episodes, seed=config.seed + 20_000,
                ),
                run_directory, task_map,
            ))
        if config.score in ADVANTAGE_SCORES:
            if config.student not in ON_POLICY:
                raise ValueError(f"score {config.score!r} needs an on-policy student, got {config.student!r}")
            callbacks.insert(0, AdvantageCallback())
        remaining = planned_steps(model, max(config.steps - model.num_timesteps, 0))
        if remaining > 0:
            model.learn(
                remaining, callback=CallbackList(callbacks),
                reset_num_timesteps=opened is None, progress_bar=_show_progress(config),
            )
        else:  # the run already has its steps (killed after its last checkpoint): only finish it
            if log is not None:
                log(f"Nothing to train: the run is at step {model.num_timesteps} (steps: {config.steps})")
            model.set_logger(configure_sb3_logger(folder=None, format_strings=[]))
            callback.init_callback(model)
            callback.on_training_start({}, {})
        callback.finish()
        # Marks a complete run (sweeps skip it); written last so a crash never leaves it.
        mark_done(run_dir, model.num_timesteps, curriculum.n_episodes)
        return RunResult(
            run_dir=run_dir, steps=int(model.num_timesteps), episodes=curriculum.n_episodes,
            last_evaluation=callback.last_evaluation, model=model, teacher=teacher,
        )
    finally:
        logger.close()
        if evaluator is not None:
            evaluator.close()
        if curriculum is not None and curriculum.task_value_fn is not None:
            curriculum.task_value_fn.close()
        if venv is not None:
            venv.close()

