"""Sweeps: a grid of teachers × envs × seeds, each an ordinary run directory.

A sweep config (YAML) holds the base training settings, the grid axes and the output root::

    name: demo                       # also the W&B group (one group per sweep)
    output_root: runs/sweeps/demo    # default: runs/sweeps/<name>
    train: {student: ppo, steps: 300000, n_envs: 4, eval_every: 25000, eval_tasks: 100,
            student_params: {n_steps: 256}, config: {}}
    wandb: {mode: offline, project: teachrl, group: demo, tags: []}
    envs:
      - teachrl/PointGate-v0
      - {id: teachrl/StumpTracks-v0, grid: {body: [default, short]}}
    teachers:
      - random
      - {name: alp-gmm, params: {fit_rate: 150}}
      - {name: ucb, label: ucb-bins, params: {bins: 5}, student_params: {}}
    seeds: 5                         # or an explicit list, e.g. [0, 3, 7]

:meth:`SweepConfig.expand` turns it into :class:`RunSpec` s whose run directories are
``<output_root>/<env label>/<teacher label>/seed<k>``. Every run is ``scripts/train.py`` in a
subprocess (stdout and stderr to ``<run_dir>/train.log``). A run directory holding ``DONE`` is
finished and skipped; one holding ``checkpoints/`` is resumed with ``--resume``; any other is
started afresh. Runs go to a local pool of subprocesses or to Ray tasks (:func:`run_sweep`).

Env kwargs and the ``train.config`` extras travel in a per-run ``--config`` file
(``<run_dir>/sweep_run.yaml``, the run-config schema: ``env: {id, kwargs}`` plus the extras);
everything else is passed as command-line flags.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from students.run_dir import DONE_MARKER, run_status

__all__ = [
    "REPO_ROOT",
    "EnvSpec",
    "RunOutcome",
    "RunSpec",
    "SweepConfig",
    "SweepSummary",
    "TeacherSpec",
    "build_command",
    "check_backend",
    "check_registries",
    "execute_run",
    "ray_init_arguments",
    "run_sweep",
]

#: Root of the teachrl checkout (holds ``scripts/train.py``).
REPO_ROOT = Path(__file__).resolve().parents[2]
#: Placeholder in a train command for the Python interpreter of the process running the run.
PYTHON = "{python}"
DEFAULT_TRAIN_COMMAND = (PYTHON, "scripts/train.py")
LOG_FILE = "train.log"
RUN_CONFIG_FILE = "sweep_run.yaml"
MANIFEST_FILE = "sweep.json"
WANDB_MODES = ("online", "offline", "disabled")
BACKENDS = ("local", "ray")

_TOP_KEYS = {"name", "output_root", "train", "wandb", "envs", "teachers", "seeds", "train_command"}
_TRAIN_KEYS = {"student", "steps", "n_envs", "eval_every", "eval_tasks", "student_params", "config"}
_WANDB_KEYS = {"mode", "project", "group", "tags"}
_ENV_KEYS = {"id", "kwargs", "grid", "label"}
_TEACHER_KEYS = {"name", "label", "params", "student_params", "config"}
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]*$")


# ---------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class EnvSpec:
    """One env of the grid.

    :param id: gymnasium id, e.g. ``"teachrl/StumpTracks-v0"``.
    :param kwargs: keyword arguments of ``gymnasium.make`` (e.g. ``{"body": "short"}``).
    :param label: directory name and report label, e.g. ``"StumpTracks-v0_body-short"``.
    """

    id: str
    kwargs: dict[str, Any]
    label: str


@dataclass(frozen=True)
class TeacherSpec:
    """One teacher of the grid.

    :param name: registered teacher name, e.g. ``"alp-gmm"``.
    :param label: directory name and report label (defaults to ``name``; distinct labels let
        one teacher appear with several hyperparameter sets).
    :param params: teacher hyperparameters (``--teacher-param``).
    :param student_params: student hyperparameters for this teacher's runs, over the base ones.
    :param config: run-config keys for this teacher's runs over ``train.config`` (e.g.
        ``score: advantage`` for the bandit schedulers).
    """

    name: str
    label: str
    params: dict[str, Any]
    student_params: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunSpec:
    """Everything one run of a sweep needs.

    :param name: ``"<env label>/<teacher label>/seed<k>"``, also the path under the root.
    :param run_dir: absolute run directory.
    """

    name: str
    run_dir: Path
    env: EnvSpec
    teacher: TeacherSpec
    seed: int
    student: str
    steps: int
    n_envs: int
    eval_every: int
    eval_tasks: int
    student_params: dict[str, Any]
    config_extras: dict[str, Any]
    wandb_mode: str
    wandb_project: str
    wandb_group: str
    wandb_tags: tuple[str, ...]

    def run_config(self) -> dict[str, Any] | None:
        """Contents of the per-run ``--config`` file, or None when flags say everything."""
        if not self.env.kwargs and not self.config_extras:
            return None
        # RunConfig's schema (students/config.py): the env id and its gymnasium.make kwargs.
        return {**self.config_extras, "env": self.env.id, "env_kwargs": dict(self.env.kwargs)}


# ---------------------------------------------------------------------------- validation helpers
def _where(path: str) -> str:
    return f"sweep config {path}"


def _check_keys(d: Any, allowed: set[str], path: str) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise ValueError(f"{_where(path)} must be a mapping, got {d!r}")
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in {_where(path)}; expected some of {sorted(allowed)}")
    return d


def _positive_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{_where(path)} must be a positive integer, got {value!r}")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{_where(path)} must be a non-empty string, got {value!r}")
    return value.strip()


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{_where(path)} must be a mapping with string keys, got {value!r}")
    return dict(value)


def _label(value: Any, path: str) -> str:
    label = _string(value, path)
    if not _LABEL.match(label):
        raise ValueError(
            f"{_where(path)} {label!r} is not a safe directory name "
            "(letters, digits and . _ = + - only, not starting with a symbol)"
        )
    return label


def _slug(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9._=+-]+", "-", str(value)).strip("-") or "x"


def default_env_label(env_id: str, kwargs: dict[str, Any]) -> str:
    """``"teachrl/StumpTracks-v0", {"body": "short"}`` → ``"StumpTracks-v0_body-short"``."""
    base = _slug(env_id.rsplit("/", 1)[-1])
    parts = [f"{_slug(k)}-{_slug(v)}" for k, v in sorted(kwargs.items())]
    return "_".join([base, *parts])


def _parse_env(entry: Any, i: int) -> list[EnvSpec]:
    path = f"envs[{i}]"
    if isinstance(entry, str):
        entry = {"id": entry}
    _check_keys(entry, _ENV_KEYS, path)
    env_id = _string(entry.get("id"), f"{path}.id")
    kwargs = _mapping(entry.get("kwargs"), f"{path}.kwargs")
    grid = _mapping(entry.get("grid"), f"{path}.grid")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"{_where(f'{path}.grid.{key}')} must be a non-empty list, got {values!r}")
        if key in kwargs:
            raise ValueError(f"{_where(path)}: {key!r} is both in kwargs and in grid")
    if "label" in entry and grid:
        raise ValueError(f"{_where(path)}: a label cannot be given with a grid (one label per env)")
    specs = []
    keys = list(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        kw = {**kwargs, **dict(zip(keys, combo, strict=True))}
        label = _label(entry["label"], f"{path}.label") if "label" in entry else default_env_label(env_id, kw)
        specs.append(EnvSpec(id=env_id, kwargs=kw, label=label))
    return specs


def _parse_teacher(entry: Any, i: int) -> TeacherSpec:
    path = f"teachers[{i}]"
    if isinstance(entry, str):
        entry = {"name": entry}
    _check_keys(entry, _TEACHER_KEYS, path)
    name = _string(entry.get("name"), f"{path}.name")
    # A `module:Class` teacher gets a directory-safe default label ("my_mod-MyTeacher").
    label = _label(entry["label"], f"{path}.label") if "label" in entry else _slug(name)
    return TeacherSpec(
        name=name,
        label=label,
        params=_mapping(entry.get("params"), f"{path}.params"),
        student_params=_mapping(entry.get("student_params"), f"{path}.student_params"),
        config=_mapping(entry.get("config"), f"{path}.config"),
    )


def _parse_seeds(value: Any) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        _positive_int(value, "seeds")
        return tuple(range(value))
    if not isinstance(value, list) or not value:
        raise ValueError(f"{_where('seeds')} must be a positive count or a non-empty list, got {value!r}")
    for s in value:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ValueError(f"{_where('seeds')} must hold non-negative integers, got {s!r}")
    dupes = sorted({s for s in value if value.count(s) > 1})
    if dupes:
        raise ValueError(f"{_where('seeds')} has duplicates {dupes}")
    return tuple(value)


def _unique(labels: Sequence[str], what: str) -> None:
    dupes = sorted({x for x in labels if list(labels).count(x) > 1})
    if dupes:
        raise ValueError(f"duplicate {what} label(s) {dupes} in the sweep config; give each a distinct `label`")


# ---------------------------------------------------------------------------- config
@dataclass
class SweepConfig:
    """A validated sweep: base train settings, grid axes, output root and W&B group.

    Build it with :meth:`from_dict` / :meth:`from_yaml` (which validate), then :meth:`expand`.

    :param train_command: the trainer command line before its flags; ``"{python}"`` stands
        for the interpreter running the run and relative paths are relative to the code
        directory (the repository). Default ``("{python}", "scripts/train.py")``.
    """

    name: str
    output_root: Path
    envs: tuple[EnvSpec, ...]
    teachers: tuple[TeacherSpec, ...]
    seeds: tuple[int, ...]
    student: str = "ppo"
    steps: int = 100_000
    n_envs: int = 1
    eval_every: int = 10_000
    eval_tasks: int = 100
    student_params: dict[str, Any] = field(default_factory=dict)
    config_extras: dict[str, Any] = field(default_factory=dict)
    wandb_mode: str = "offline"
    wandb_project: str = "teachrl"
    wandb_group: str = ""
    wandb_tags: tuple[str, ...] = ()
    train_command: tuple[str, ...] = DEFAULT_TRAIN_COMMAND

    @classmethod
    def from_dict(cls, raw: dict[str, Any], base_dir: str | Path | None = None) -> SweepConfig:
        """Validate a parsed sweep config.

        :param raw: the parsed YAML.
        :param base_dir: directory a relative ``output_root`` is resolved against
            (default: the current directory).
        :raises ValueError: naming the bad key or value.
        """
        _check_keys(raw, _TOP_KEYS, "(top level)")
        name = _label(raw.get("name"), "name")
        train = _check_keys(raw.get("train") or {}, _TRAIN_KEYS, "train")
        wandb = _check_keys(raw.get("wandb") or {}, _WANDB_KEYS, "wandb")
        if "envs" not in raw or not isinstance(raw["envs"], list) or not raw["envs"]:
            raise ValueError(f"{_where('envs')} must be a non-empty list, got {raw.get('envs')!r}")
        if "teachers" not in raw or not isinstance(raw["teachers"], list) or not raw["teachers"]:
            raise ValueError(f"{_where('teachers')} must be a non-empty list, got {raw.get('teachers')!r}")
        if "seeds" not in raw:
            raise ValueError(f"{_where('seeds')} is missing (a count or a list of seeds)")
        envs = tuple(e for i, entry in enumerate(raw["envs"]) for e in _parse_env(entry, i))
        teachers = tuple(_parse_teacher(entry, i) for i, entry in enumerate(raw["teachers"]))
        _unique([e.label for e in envs], "env")
        _unique([t.label for t in teachers], "teacher")
        mode = wandb.get("mode", "offline")
        if mode not in WANDB_MODES:
            raise ValueError(f"{_where('wandb.mode')} must be one of {WANDB_MODES}, got {mode!r}")
        tags = wandb.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValueError(f"{_where('wandb.tags')} must be a list of strings, got {tags!r}")
        command = raw.get("train_command", list(DEFAULT_TRAIN_COMMAND))
        if not isinstance(command, list) or not command or not all(isinstance(c, str) and c for c in command):
            raise ValueError(f"{_where('train_command')} must be a non-empty list of strings, got {command!r}")
        root = Path(_string(raw.get("output_root", f"runs/sweeps/{name}"), "output_root")).expanduser()
        if not root.is_absolute():
            root = Path(base_dir or Path.cwd()) / root
        return cls(
            name=name,
            output_root=root.resolve(),
            envs=envs,
            teachers=teachers,
            seeds=_parse_seeds(raw["seeds"]),
            student=_string(train.get("student", "ppo"), "train.student"),
            steps=_positive_int(train.get("steps", 100_000), "train.steps"),
            n_envs=_positive_int(train.get("n_envs", 1), "train.n_envs"),
            eval_every=_positive_int(train.get("eval_every", 10_000), "train.eval_every"),
            eval_tasks=_positive_int(train.get("eval_tasks", 100), "train.eval_tasks"),
            student_params=_mapping(train.get("student_params"), "train.student_params"),
            config_extras=_mapping(train.get("config"), "train.config"),
            wandb_mode=mode,
            wandb_project=_string(wandb.get("project", "teachrl"), "wandb.project"),
            wandb_group=_string(wandb.get("group", name), "wandb.group"),
            wandb_tags=tuple(tags),
            train_command=tuple(command),
        )

    @classmethod
    def from_yaml(cls, path: str | Path, base_dir: str | Path | None = None) -> SweepConfig:
        """Read and validate a sweep config file (see :meth:`from_dict`)."""
        path = Path(path)
        with path.open() as f:
            raw = yaml.safe_load(f)
        if not isinstance(raw, dict):
            raise ValueError(f"sweep config {path} must be a YAML mapping, got {type(raw).__name__}")
        return cls.from_dict(raw, base_dir=base_dir)

    def expand(self) -> list[RunSpec]:
        """All runs, env-major then teacher then seed, each with its run directory."""
        runs = []
        for env, teacher, seed in itertools.product(self.envs, self.teachers, self.seeds):
            name = f"{env.label}/{teacher.label}/seed{seed}"
            runs.append(
                RunSpec(
                    name=name,
                    run_dir=self.output_root / env.label / teacher.label / f"seed{seed}",
                    env=env,
                    teacher=teacher,
                    seed=seed,
                    student=self.student,
                    steps=self.steps,
                    n_envs=self.n_envs,
                    eval_every=self.eval_every,
                    eval_tasks=self.eval_tasks,
                    student_params={**self.student_params, **teacher.student_params},
                    config_extras={**self.config_extras, **teacher.config},
                    wandb_mode=self.wandb_mode,
                    wandb_project=self.wandb_project,
                    wandb_group=self.wandb_group,
                    wandb_tags=self.wandb_tags,
                )
            )
        return runs

    def write_manifest(self, runs: Sequence[RunSpec]) -> Path:
        """Write ``<output_root>/sweep.json``: the sweep's runs and their labels (for reports)."""
        self.output_root.mkdir(parents=True, exist_ok=True)
        manifest = {
            "name": self.name,
            "wandb_group": self.wandb_group,
            "runs": [
                {
                    "name": r.name,
                    "run_dir": r.name,
                    "env": r.env.id,
                    "env_kwargs": r.env.kwargs,
                    "env_label": r.env.label,
                    "teacher": r.teacher.name,
                    "teacher_label": r.teacher.label,
                    "seed": r.seed,
                }
                for r in runs
            ],
        }
        path = self.output_root / MANIFEST_FILE
        _atomic_write(path, json.dumps(manifest, indent=1, default=str))
        return path


def check_registries(config: SweepConfig) -> None:
    """Check teacher names/params and env ids against the registries before launching.

    :raises ValueError: listing every unknown teacher, teacher parameter or env id.
    """
    import gymnasium

    import envs  # noqa: F401  (registers the teachrl envs)
    import teachers

    problems = []
    for t in config.teachers:
        try:
            cls = teachers.get_class(t.name)
        except ValueError as err:
            problems.append(str(err))
            continue
        accepted = cls._param_names()
        unknown = sorted(set(t.params) - set(accepted))
        if unknown:
            problems.append(f"unknown parameter(s) {unknown} for teacher {t.label!r}; accepted: {accepted}")
    for e in config.envs:
        if e.id not in gymnasium.registry:
            problems.append(f"unknown env id {e.id!r} (env {e.label!r})")
    if problems:
        raise ValueError("sweep config does not match the registries:\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------------------- one run
def _flag_value(value: Any) -> str:
    # JSON is YAML flow syntax: lists/dicts/bools/None survive a yaml.safe_load on the other side.
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def build_command(
    spec: RunSpec, train_command: Sequence[str], code_dir: str | Path, resume: bool = False
) -> list[str]:
    """The trainer's command line for ``spec`` (a fresh start, or ``--resume RUN_DIR``).

    :param train_command: the command before the flags (``"{python}"`` → ``sys.executable``;
        relative paths other than the first element resolve against ``code_dir``).
    """
    head = []
    for i, part in enumerate(train_command):
        if part == PYTHON:
            head.append(sys.executable)
        elif i > 0 and not os.path.isabs(part) and (Path(code_dir) / part).exists():
            head.append(str(Path(code_dir) / part))
        else:
            head.append(part)
    if resume:
        return [*head, "--resume", str(spec.run_dir)]
    cmd = [
        *head,
        "--run-dir", str(spec.run_dir),
        "--env", spec.env.id,
        "--teacher", spec.teacher.name,
        "--student", spec.student,
        "--steps", str(spec.steps),
        "--n-envs", str(spec.n_envs),
        "--seed", str(spec.seed),
        "--eval-every", str(spec.eval_every),
        "--eval-tasks", str(spec.eval_tasks),
    ]  # fmt: skip
    if spec.run_config() is not None:
        cmd += ["--config", str(spec.run_dir / RUN_CONFIG_FILE)]
    for k, v in spec.teacher.params.items():
        cmd += ["--teacher-param", f"{k}={_flag_value(v)}"]
    for k, v in spec.student_params.items():
        cmd += ["--student-param", f"{k}={_flag_value(v)}"]
    cmd += ["--no-progress-bar"]  # a bar is noise in train.log
    cmd += ["--wandb-mode", spec.wandb_mode, "--wandb-project", spec.wandb_project]
    cmd += ["--wandb-group", spec.wandb_group]
    if spec.wandb_tags:
        cmd += ["--wandb-tags", *spec.wandb_tags]
    return cmd


@dataclass
class RunOutcome:
    """What happened to one run.

    :param action: ``"skipped"`` (already finished), ``"done"`` (ran from scratch),
        ``"resumed"`` (continued from its checkpoint) or ``"failed"``.
    :param returncode: the trainer's exit status (None when it did not run).
    """

    name: str
    run_dir: str
    action: str
    returncode: int | None = None
    seconds: float = 0.0
    message: str = ""


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _clear_run_dir(run_dir: Path) -> None:
    """Remove what a run that never checkpointed left, keeping its log."""
    for child in run_dir.iterdir():
        if child.name == LOG_FILE:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def execute_run(
    spec: RunSpec,
    train_command: Sequence[str] = DEFAULT_TRAIN_COMMAND,
    code_dir: str | Path | None = None,
    env_vars: dict[str, str] | None = None,
    import_dirs: Sequence[str | Path] = (),
) -> RunOutcome:
    """Bring one run to completion: skip it if finished, resume it if interrupted, else start it.

    Runs the trainer as a subprocess with ``code_dir`` as working directory and first on
    ``PYTHONPATH``; its stdout/stderr are appended to ``<run_dir>/train.log``.

    :param code_dir: the teachrl checkout (default: the one this module is in; a Ray worker
        with an uploaded working directory passes its own).
    :param env_vars: extra environment variables for the trainer.
    :param import_dirs: more directories on the trainer's ``PYTHONPATH``, after ``code_dir``
        (the sweep passes the directory it was launched from, so that ``module:Class``
        teachers and ``module:Id`` envs there are importable).
    """
    code_dir = Path(code_dir) if code_dir is not None else REPO_ROOT
    run_dir = Path(spec.run_dir)
    status = run_status(run_dir)
    if status == "done":
        return RunOutcome(spec.name, str(run_dir), "skipped")
    resume = status == "interrupted"
    run_dir.mkdir(parents=True, exist_ok=True)
    if not resume:
        _clear_run_dir(run_dir)
        run_config = spec.run_config()
        if run_config is not None:
            _atomic_write(run_dir / RUN_CONFIG_FILE, yaml.safe_dump(run_config, sort_keys=False))
    cmd = build_command(spec, train_command, code_dir, resume=resume)
    env = dict(os.environ)
    paths = (str(code_dir), *(str(d) for d in import_dirs), env.get("PYTHONPATH", ""))
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    # Parallel runs share the cores: one math thread per run unless the user says otherwise.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "1")
    env.setdefault("MPLBACKEND", "Agg")
    env.update(env_vars or {})
    start = time.monotonic()
    with (run_dir / LOG_FILE).open("a") as log:
        log.write(f"\n=== teachrl sweep {time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(cmd)}\n")
        log.flush()
        try:
            rc = subprocess.run(cmd, cwd=code_dir, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        except OSError as err:  # e.g. the trainer script or interpreter is missing
            return RunOutcome(spec.name, str(run_dir), "failed", None, time.monotonic() - start, str(err))
    seconds = time.monotonic() - start
    if rc != 0:
        msg = f"trainer exited with status {rc}; see {run_dir / LOG_FILE}"
        return RunOutcome(spec.name, str(run_dir), "failed", rc, seconds, msg)
    if run_status(run_dir) != "done":
        msg = f"trainer exited 0 but wrote no {DONE_MARKER}; see {run_dir / LOG_FILE}"
        return RunOutcome(spec.name, str(run_dir), "failed", rc, seconds, msg)
    return RunOutcome(spec.name, str(run_dir), "resumed" if resume else "done", rc, seconds)


# ---------------------------------------------------------------------------- the sweep
@dataclass
class SweepSummary:
    """Results of one sweep invocation."""

    results: list[RunOutcome]

    def count(self, action: str) -> int:
        """Number of runs with this action."""
        return sum(r.action == action for r in self.results)

    @property
    def ok(self) -> bool:
        """True when no run failed."""
        return self.count("failed") == 0

    def format(self) -> str:
        """A short human-readable summary (counts, then the failures with their logs)."""
        counts = ", ".join(f"{a}: {self.count(a)}" for a in ("done", "skipped", "resumed", "failed"))
        lines = [f"sweep summary ({len(self.results)} runs) — {counts}"]
        lines += [f"  FAILED {r.name}: {r.message}" for r in self.results if r.action == "failed"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"results": [asdict(r) for r in self.results]}


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _run_local(runs, train_command, workers, env_vars, import_dirs, on_result) -> list[RunOutcome]:
    # Threads suffice: each run is its own trainer process; the thread only waits on it.
    results = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(execute_run, r, train_command, REPO_ROOT, env_vars, import_dirs): r for r in runs}
        for fut in as_completed(futures):
            spec = futures[fut]
            try:
                res = fut.result()
            except Exception as err:  # a bug in the launcher must not lose the other runs
                res = RunOutcome(spec.name, str(spec.run_dir), "failed", message=repr(err))
            results.append(res)
            on_result(res, len(results), len(runs))
    return results


def _ray_execute_run(spec, train_command, use_worker_cwd, env_vars, import_dirs):
    # With an uploaded working_dir the worker's cwd is the code copy.
    code_dir = os.getcwd() if use_worker_cwd else str(REPO_ROOT)
    return execute_run(spec, train_command, code_dir, env_vars, import_dirs)


def ray_init_arguments(
    address: str | None, workers: int, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``ray.init`` arguments of a sweep (``extra`` overrides them).

    An existing cluster (``address``) gets a copy of the code as the tasks' working directory
    (run directories must then be on a filesystem every node shares); a local Ray gets
    ``num_cpus=workers`` and the checkout on its workers' ``PYTHONPATH``.
    """
    if address:
        excludes = [".git", "runs", "wandb", "*.egg-info", "__pycache__"]
        kwargs = {"address": address, "runtime_env": {"working_dir": str(REPO_ROOT), "excludes": excludes}}
    else:
        kwargs = {
            "num_cpus": workers,
            "include_dashboard": False,
            "runtime_env": {"env_vars": {"PYTHONPATH": str(REPO_ROOT)}},
        }
    kwargs.update(extra or {})
    return kwargs


def check_backend(backend: str) -> None:
    """Fail early, in one line, when ``backend`` cannot run here.

    :raises ValueError: for an unknown backend, or ``"ray"`` without Ray installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "ray" and importlib.util.find_spec("ray") is None:
        raise ValueError("the ray backend needs Ray, which is not installed: pip install -e '.[ray]'")


def _run_ray(runs, train_command, workers, env_vars, import_dirs, on_result, address, cpus_per_run, ray_init_kwargs):
    import ray

    started_here = False
    use_worker_cwd = False
    if not ray.is_initialized():
        kwargs = ray_init_arguments(address, workers, ray_init_kwargs)
        use_worker_cwd = "working_dir" in kwargs["runtime_env"]
        ray.init(**kwargs)
        started_here = True
    try:
        remote = ray.remote(num_cpus=cpus_per_run, max_retries=0)(_ray_execute_run)
        pending = {remote.remote(r, train_command, use_worker_cwd, env_vars, import_dirs): r for r in runs}
        results = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            ref = ready[0]
            spec = pending.pop(ref)
            try:
                res = ray.get(ref)
            except Exception as err:  # a lost worker or node: the run failed, the sweep goes on
                res = RunOutcome(spec.name, str(spec.run_dir), "failed", message=repr(err))
            results.append(res)
            on_result(res, len(results), len(runs))
        return results
    finally:
        if started_here:
            ray.shutdown()


def run_sweep(
    config: SweepConfig,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    cpus_per_run: float = 1,
    env_vars: dict[str, str] | None = None,
    ray_init_kwargs: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = print,
) -> SweepSummary:
    """Run every run of ``config`` that is not finished yet.

    :param backend: ``"local"`` (a pool of ``workers`` trainer subprocesses) or ``"ray"``
        (one Ray task per run; ``address`` joins an existing cluster, else a local Ray with
        ``num_cpus=workers`` is started and shut down at the end).
    :param workers: parallel runs (default: the number of cores).
    :param cpus_per_run: Ray CPUs reserved by each run.
    :param env_vars: extra environment variables for every trainer.
    :param ray_init_kwargs: extra ``ray.init`` arguments.
    :param log: where progress lines go (None: silent).
    :raises ValueError: for a bad argument, or ``backend="ray"`` without Ray installed (checked
        before anything runs or is written).
    """
    check_backend(backend)
    if workers is None:
        workers = _default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not cpus_per_run > 0:
        raise ValueError(f"cpus_per_run must be positive, got {cpus_per_run!r}")
    say = log or (lambda _msg: None)
    runs = config.expand()
    config.write_manifest(runs)
    done = [r for r in runs if run_status(r.run_dir) == "done"]
    todo = [r for r in runs if run_status(r.run_dir) != "done"]
    results = [RunOutcome(r.name, str(r.run_dir), "skipped") for r in done]
    say(
        f"sweep {config.name!r}: {len(runs)} runs under {config.output_root} "
        f"({len(done)} finished, {len(todo)} to run; backend {backend}, {workers} workers)"
    )
    for r in done:
        say(f"skipped {r.name}: finished ({DONE_MARKER} in {r.run_dir})")

    def on_result(res: RunOutcome, i: int, n: int) -> None:
        extra = f" — {res.message}" if res.message else ""
        say(f"[{i}/{n}] {res.action:<7} {res.name} ({res.seconds:.1f} s){extra}")

    if todo:
        command = tuple(config.train_command)
        import_dirs = (os.getcwd(),)  # the user's own teacher / env modules, as train.py sees them
        if backend == "local":
            results += _run_local(todo, command, workers, env_vars, import_dirs, on_result)
        else:
            results += _run_ray(
                todo, command, workers, env_vars, import_dirs, on_result, address, cpus_per_run, ray_init_kwargs
            )
    order = {r.name: i for i, r in enumerate(runs)}
    results.sort(key=lambda r: order.get(r.name, len(order)))
    summary = SweepSummary(results)
    say(summary.format())
    return summary
