"""The run configuration: one validated dataclass, loadable from YAML and ``k=v`` overrides."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import yaml
from gymnasium import spaces

from students.levels import LevelSet
from teachers.validation import Boolean, Integral, Interval, Options, SequenceOf, validate_params

__all__ = [
    "ALGORITHMS", "ON_POLICY", "RESUME_FIELDS", "RunConfig", "algorithm_class", "check_device", "load_yaml",
    "parse_overrides",
]

#: Student names → stable-baselines3 class names.
ALGORITHMS = {"ppo": "PPO", "a2c": "A2C", "sac": "SAC", "td3": "TD3", "ddpg": "DDPG", "dqn": "DQN"}
ON_POLICY = ("ppo", "a2c")
VEC_ENVS = ("dummy", "subproc")
START_METHODS = ("forkserver", "spawn", "fork")
DEVICES = ("auto", "cpu", "cuda")
WANDB_MODES = ("online", "offline", "disabled")
EVAL_SETS = ("grid", "levels")
#: Fields a resume may change; the run's ``config.yaml`` holds the others. ``device``: a run
#: saved on one device resumes on another (tensors are mapped when loading).
RESUME_FIELDS = ("steps", "progress_bar", "device")


@functools.cache
def field_constraints() -> dict[str, list[Any]]:
    """The declarative constraints of :class:`RunConfig`'s fields (cross-field checks are in
    :meth:`RunConfig.validate`)."""
    from students.curriculum import ADVANTAGE_NORMS, SCORES  # imports SB3: only when validating
    from students.expert import EXPERT_LEVELS

    positive, non_negative = Interval(Integral, 1, None), Interval(Integral, 0, None)
    return {
        "env": [str], "env_kwargs": [dict], "teacher": [str], "teacher_params": [dict],
        "student": [str], "student_params": [dict], "policy": [str],
        "steps": [positive], "n_envs": [positive], "eval_tasks": [positive], "eval_episodes": [positive],
        "log_every": [positive], "teacher_log_every": [positive], "torch_threads": [None, positive],
        "seed": [non_negative], "eval_every": [non_negative], "checkpoint_every": [non_negative],
        "vec_env": [Options(VEC_ENVS)], "start_method": [Options(START_METHODS)],
        "device": [Options(DEVICES)], "wandb_mode": [Options(WANDB_MODES)], "score": [Options(SCORES)],
        "advantage_norm": [Options(ADVANTAGE_NORMS)], "eval_set": [Options(EVAL_SETS)],
        "expert_knowledge": [Options(EXPERT_LEVELS)],
        "normalize": [Boolean()], "progress_bar": [None, Boolean()], "wandb_verbose": [Boolean()],
        "run_dir": [None, str], "runs_root": [str], "wandb_project": [str], "wandb_group": [None, str],
        "wandb_tags": [SequenceOf(str, min_len=0)],
    }


def check_device(device: str) -> None:
    """Check that torch can use ``device`` here (one of ``"auto"``, ``"cpu"``, ``"cuda"``).

    :raises ValueError: naming ``device`` when it is not one of those, or is ``"cuda"`` on a
        machine where torch sees no CUDA device.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {list(DEVICES)}, got {device!r}")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' was requested but torch sees no CUDA device")


def algorithm_class(name: str) -> type:
    """The SB3 class of student ``name`` (``"ppo"``, ``"sac"``, ...).

    :raises ValueError: for an unknown name.
    """
    key = str(name).lower()
    if key not in ALGORITHMS:
        raise ValueError(f"unknown student {name!r}; available: {', '.join(ALGORITHMS)}")
    import stable_baselines3

    return getattr(stable_baselines3, ALGORITHMS[key])


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads ``3e-4`` as a float (YAML 1.2; PyYAML alone says str)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """Parse YAML text (safe; scientific notation without a dot is a float)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)


def parse_overrides(items: Sequence[str] | None, what: str) -> dict[str, Any]:
    """Parse ``["k=v", ...]``; values are YAML (``lr=3e-4``, ``net=[64,64]``, ``x=true``).

    :param what: named in errors (``"teacher"``, ``"student"``).
    :raises ValueError: for an item without ``=`` or with an unparsable value.
    """
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = str(item).partition("=")
        if not sep or not key.strip():
            raise ValueError(f"bad {what} parameter {item!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = load_yaml(raw) if raw.strip() else None
        except yaml.YAMLError as err:
            raise ValueError(f"bad {what} parameter {item!r}: value is not valid YAML") from err
    return out


def import_env_module(env_id: str) -> None:
    """Import ``envs`` (registers ``teachrl/*``) and, for ``"module:Id"`` ids, ``module``."""
    importlib.import_module("envs")
    if ":" in env_id:
        importlib.import_module(env_id.split(":", 1)[0])


def registered_env_id(env_id: str) -> str:
    """``env_id`` without its optional ``module:`` prefix."""
    return env_id.split(":", 1)[1] if ":" in env_id else env_id


@dataclasses.dataclass
class RunConfig:
    """Everything a curriculum run needs; ``config.yaml`` of the run directory is this.

    :param env: gymnasium id (``"module:Id"`` imports ``module`` first).
    :param env_kwargs: keyword arguments of ``gymnasium.make``.
    :param teacher: teacher name (``teachers.available()``), or ``"module:Class"`` of your own.
    :param teacher_params: teacher hyperparameters.
    :param student: ``"ppo"``, ``"a2c"``, ``"sac"``, ``"td3"``, ``"ddpg"`` or ``"dqn"``.
    :param student_params: constructor arguments of the SB3 class.
    :param policy: SB3 policy name.
    :param steps: total env steps.
    :param n_envs: parallel envs.
    :param vec_env: ``"dummy"`` or ``"subproc"``.
    :param start_method: multiprocessing start method of ``SubprocVecEnv``.
    :param seed: the one seed of teacher, envs, SB3 and the test set.
    :param device: torch device.
    :param score: teacher signal: ``"return"``, ``"success"``, ``"advantage"`` (mean |GAE|) or
        ``"positive_advantage"`` (mean max(GAE, 0)); the last two on-policy only.
    :param advantage_norm: scale of the advantage scores: ``"batch"`` (each episode's mean
        ``|A| / std(A)`` over its rollout buffer, unit-free) or ``"none"`` (mean ``|A|`` in
        return units); see :class:`students.curriculum.CurriculumVecEnv`.
    :param expert_knowledge: what the teacher is told from the env's declared knowledge
        (TeachMyAgent's levels): ``"none"``; ``"low"``, the env's reward range (scores mapped
        to [0, 1]); ``"high"``, also its distribution of easy tasks (``initial_dist``; ADR's
        ``initial_task``) and target tasks (``target_dist``). ``teacher_params`` win over it.
        See :mod:`students.expert`.
    :param levels: ``None``, or a discrete set of env tasks for the teacher to choose among: a
        list of tasks or a mapping ``name -> task`` (each a list of numbers in the env's task
        space). The teacher then works on ``Discrete(len(levels))`` (with the names as
        ``arm_names`` if it takes them) and arm ``i`` runs ``levels[i]``; see
        :mod:`students.levels`. Evaluation stays on the env's test set.
    :param normalize: wrap the envs in ``VecNormalize``.
    :param eval_every: evaluate every this many steps (``0``: never).
    :param eval_set: the test set: ``"grid"`` (the env's task space, ``eval_tasks`` tasks: a
        grid in 1-D and 2-D, seeded uniform draws above) or ``"levels"`` (the ``levels``
        themselves, in order; ``eval_tasks`` is then unused).
    :param eval_tasks: size of the ``"grid"`` test set (a square number for 2-D task spaces).
    :param eval_episodes: episodes per test task.
    :param checkpoint_every: checkpoint every this many steps (``0``: only at the end).
    :param log_every: training metrics every this many steps.
    :param teacher_log_every: teacher internals snapshot every this many steps.
    :param progress_bar: show SB3's progress bar; ``None``: when stderr is a terminal.
    :param torch_threads: ``torch.set_num_threads`` for the run (small MLPs train fastest
        on one thread; ``None`` leaves torch's default).
    :param run_dir: the run directory (default: a new folder under ``runs_root``).
    :param runs_root: parent of generated run directories.
    :param wandb_mode: ``"online"``, ``"offline"`` or ``"disabled"``.
    :param wandb_project: W&B project.
    :param wandb_group: W&B group.
    :param wandb_tags: W&B tags.
    :param wandb_verbose: let W&B print its own console messages (quiet by default).
    """

    env: str = "teachrl/PointGate-v0"
    env_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    teacher: str = "alp-gmm"
    teacher_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    student: str = "ppo"
    student_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    policy: str = "MlpPolicy"
    steps: int = 200_000
    n_envs: int = 8
    vec_env: str = "dummy"
    start_method: str = "forkserver"
    seed: int = 0
    device: str = "auto"
    score: str = "return"
    advantage_norm: str = "batch"
    expert_knowledge: str = "none"
    levels: list[list[float]] | dict[str, list[float]] | None = None
    normalize: bool = False
    eval_every: int = 25_000
    eval_set: str = "grid"
    eval_tasks: int = 100
    eval_episodes: int = 1
    checkpoint_every: int = 50_000
    log_every: int = 4_096
    teacher_log_every: int = 10_000
    progress_bar: bool | None = None
    torch_threads: int | None = 1
    run_dir: str | None = None
    runs_root: str = "runs"
    wandb_mode: str = "offline"
    wandb_project: str = "teachrl"
    wandb_group: str | None = None
    wandb_tags: list[str] = dataclasses.field(default_factory=list)
    wandb_verbose: bool = False

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Build from a dict (e.g. YAML); ``task_space`` (written by runs) is ignored.

        :raises ValueError: for unknown keys.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a run config must be a mapping, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in data.items() if k != "task_space"}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown config key(s) {unknown}; known: {sorted(names)}")
        return cls(**data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> RunConfig:
        """Load a YAML config file (missing keys take their defaults); its fields are checked
        (:meth:`check_fields`), cross-field checks wait for :meth:`validate`.

        :raises ValueError: naming the file when it is missing, unreadable, empty, not YAML,
            not a mapping, or holds an unknown key or a bad value.
        """
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"config file {str(path)!r} does not exist")
        try:
            data = load_yaml(path.read_text())
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            reason = " ".join(str(err).split())  # YAML errors span lines; errors are one line
            raise ValueError(f"config file {str(path)!r} cannot be read: {reason}") from err
        if data is None:
            raise ValueError(f"config file {str(path)!r} is empty")
        try:
            return cls.from_dict(data).check_fields()
        except ValueError as err:
            raise ValueError(f"config file {str(path)!r}: {err}") from err

    def to_dict(self) -> dict[str, Any]:
        """A plain, YAML-serializable dict."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with ``changes`` (validated by :meth:`validate` later)."""
        return self.from_dict({**self.to_dict(), **changes})

    # ------------------------------------------------------------------ validation
    def check_fields(self) -> RunConfig:
        """Check each field on its own (:func:`field_constraints`); return ``self``.

        :raises ValueError: ``"RunConfig: <field> must be <expected>, got <value>"``.
        """
        validate_params(self.to_dict(), field_constraints(), "RunConfig")
        return self

    def validate(self) -> RunConfig:
        """Check every value (each field, then the fields together); return ``self``.

        :raises ValueError: naming the first bad value.
        """
        self.check_fields()
        check_device(self.device)
        from students.curriculum import ADVANTAGE_SCORES

        if self.eval_set == "levels" and self.levels is None:
            raise ValueError("eval_set 'levels' needs levels (the test set is the levels themselves)")

        # env
        if not self.env:
            raise ValueError(f"env must be a gymnasium id, got {self.env!r}")
        try:
            import_env_module(self.env)
        except ImportError as err:
            raise ValueError(f"env {self.env!r}: cannot import its module ({err})") from err
        env_id = registered_env_id(self.env)
        if env_id not in gym.envs.registry:
            ours = sorted(k for k in gym.envs.registry if k.startswith("teachrl"))
            raise ValueError(f"unknown env {self.env!r}; teachrl envs: {ours}")

        # teacher
        import teachers

        teacher_cls = teachers.get_class(self.teacher)  # ValueError for unknown names
        bad = sorted(set(self.teacher_params) - set(teacher_cls._param_names()) | {"seed"} & set(self.teacher_params))
        if bad:
            raise ValueError(
                f"unknown parameter(s) {bad} for teacher {self.teacher!r} (the seed comes from "
                f"the run's seed); accepted: {[p for p in teacher_cls._param_names() if p != 'seed']}"
            )
        if self.levels is not None:
            self._validate_levels(teacher_cls)

        # student
        algo = algorithm_class(self.student)
        accepted = set(inspect.signature(algo.__init__).parameters) - {"self", "policy", "env"}
        bad = sorted(set(self.student_params) - accepted | {"seed", "device", "env", "policy"} & set(self.student_params))
        if bad:
            raise ValueError(
                f"unknown or reserved parameter(s) {bad} for student {self.student!r} (seed, "
                "device and policy have their own options)"
            )
        if self.score in ADVANTAGE_SCORES and self.student.lower() not in ON_POLICY:
            raise ValueError(
                f"score {self.score!r} needs an on-policy student {list(ON_POLICY)}, got {self.student!r}"
            )
        from students.values import check_student_provides

        check_student_provides(teacher_cls, algo, self.student)  # e.g. SAC cannot give V(s0)
        self.student = self.student.lower()
        return self

    def _validate_levels(self, teacher_cls: type) -> None:
        """Check ``levels`` (shape, env bounds, teacher support); store them normalized."""
        levels = LevelSet(self.levels)  # ValueError naming a malformed level
        if not any(issubclass(spaces.Discrete, s) for s in teacher_cls.supported_spaces):
            raise ValueError(
                f"levels need a teacher that accepts Discrete task spaces; {self.teacher!r} "
                f"supports {[s.__name__ for s in teacher_cls.supported_spaces]}"
            )
        for key, why in (
            ("arm_names", "give the levels as a mapping name -> task to name them"),
            ("bins", "bins cut Box task spaces; levels are Discrete"),
        ):
            if key in self.teacher_params:
                raise ValueError(f"teacher parameter {key!r} cannot be combined with levels ({why})")
        try:
            probe = gym.make(registered_env_id(self.env), **self.env_kwargs)
        except TypeError as err:
            raise ValueError(f"env {self.env!r} rejected env_kwargs {self.env_kwargs}: {err}") from err
        try:
            levels.check_env(probe)
        finally:
            probe.close()
        self.levels = levels.to_config()
