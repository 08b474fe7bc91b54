"""Build Meta-ACL classrooms (:mod:`teachers.classroom`) from run directories or recorded runs.

:func:`build_classroom` reads ALP-GMM run directories (or sweep folders holding them) and
writes one classroom file for :class:`~teachers.again.AGAINTeacher`
(``scripts/build_classroom.py`` is its command line). :func:`classroom_student` turns one
recorded run (KC vectors, final test, ALP-GMM snapshots, the episodes' tasks and scores) into
a classroom entry; the run-directory reader and the simulated benchmark
(``benchmarks/again.py``) both go through it.

From a run directory:

- pre-test tasks: the run's test set (``test_set.json``); every run must have the same one;
- KC vectors: the returns of each evaluation (``evaluations.jsonl``), at the episode count
  reached at the evaluation's step (``history.jsonl``);
- final test vector: the last evaluation's returns;
- snapshots: the distinct ALP-GMM mixtures of ``teacher.jsonl`` (a mixture logged several
  times counts once, at its first episode), with the per-component rewards of the episodes
  between it and the next mixture (:func:`teachers.classroom.component_rewards`);
- the teacher scores of ``history.jsonl`` (``score``) are the rewards, mapped through the
  run's ``reward_range`` when its teacher had one (the units its ALPs are in).

A run is refused, with a message naming it, when it is not an ALP-GMM run, has another task
space or test set than the first run, lacks evaluations, history or mixtures, or has no
Gaussian of mean ALP above the threshold ([MA] keeps only such students).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from students.run_dir import CONFIG_FILE, JSONL_FILES, TEST_SET_FILE, read_jsonl
from teachers.alp_gmm import ALPGMMTeacher
from teachers.classroom import Classroom, ClassroomStudent, component_rewards, task_origins

__all__ = ["build_classroom", "classroom_student", "find_runs", "student_from_run"]

#: Teachers whose snapshots are ALP-GMM mixtures (fitted on (task, ALP)).
ALP_GMM_TEACHERS = ("alp-gmm", "alp_gmm", "ALPGMMTeacher")
#: ALP-GMM's uniform share when a run's config does not name one (the class default).
DEFAULT_RANDOM_TASK_RATIO = float(inspect.signature(ALPGMMTeacher).parameters["random_task_ratio"].default)


def classroom_student(
    student_id: str,
    kc_episodes: Sequence[int],
    kc: np.ndarray,
    final_test: np.ndarray,
    snapshots: Sequence[tuple[int, dict[str, Any]]],
    tasks: np.ndarray,
    rewards: np.ndarray,
    params: dict[str, Any] | None = None,
    random_task_ratio: float = DEFAULT_RANDOM_TASK_RATIO,
    volume: float = 1.0,
) -> ClassroomStudent:
    """One classroom entry from a recorded ALP-GMM run.

    Each snapshot keeps the source (:func:`teachers.classroom.task_origins`: a component,
    or -1 for a uniform draw) and reward of every episode that followed its fit, from which
    AGAIN computes [MA]'s reference rewards, and the per-component summaries.

    :param student_id: its name.
    :param kc_episodes: episodes at which the KC vectors were measured.
    :param kc: ``(m, n)`` the KC vectors.
    :param final_test: ``(n,)`` the final test vector.
    :param snapshots: ``(episode, gmm)`` in order, ``gmm`` as ``internals()["gmm"]`` (raw
        units: ``means``, ``covariances``, ``weights``, ``lp``); empty mixtures are skipped.
    :param tasks: ``(E, d)`` every episode's task, in order.
    :param rewards: ``(E,)`` their scores (the teacher's scores).
    :param params: free information stored with the student.
    :param random_task_ratio: the run's ALP-GMM uniform share (default ALP-GMM's, 0.2).
    :param volume: the volume of the task box (raw units).
    """
    tasks = np.asarray(tasks, dtype=np.float64)
    rewards = np.asarray(rewards, dtype=np.float64)
    kept = [(int(e), g) for e, g in snapshots if len(g.get("means", [])) > 0]
    out = []
    for i, (episode, g) in enumerate(kept):
        end = kept[i + 1][0] if i + 1 < len(kept) else len(rewards)
        w_tasks, w_rewards = tasks[episode:end], rewards[episode:end]
        origins = task_origins(g["means"], g["covariances"], g["lp"], w_tasks, random_task_ratio, volume)
        mean, count = component_rewards(g["means"], g["covariances"], g["lp"], w_tasks, w_rewards, origins=origins)
        out.append({
            "episode": episode, "means": np.asarray(g["means"], dtype=np.float64),
            "covariances": np.asarray(g["covariances"], dtype=np.float64),
            "weights": np.asarray(g["weights"], dtype=np.float64), "lp": np.asarray(g["lp"], dtype=np.float64),
            "reward_mean": mean, "reward_count": count.astype(np.float64),
            "origins": origins, "rewards": w_rewards.copy(),
        })
    return ClassroomStudent(
        str(student_id), np.asarray(kc_episodes, dtype=np.int64), np.atleast_2d(np.asarray(kc, dtype=np.float64)),
        np.asarray(final_test, dtype=np.float64), out, dict(params or {}),
    )


def _refuse(run_dir: Path, why: str) -> ValueError:
    return ValueError(f"run {str(run_dir)!r} cannot join the classroom: {why}")


def student_from_run(run_dir: str | Path) -> tuple[ClassroomStudent, dict[str, Any]]:
    """Read one ALP-GMM run directory.

    :return: the classroom entry, and ``{"low", "high", "test_set"}`` of the run.
    :raises ValueError: naming the run, for anything AGAIN cannot use.
    """
    run_dir = Path(run_dir)
    config_path = run_dir / CONFIG_FILE
    if not config_path.is_file():
        raise _refuse(run_dir, f"no {CONFIG_FILE} (not a run directory)")
    config = yaml.safe_load(config_path.read_text()) or {}
    if config.get("teacher") not in ALP_GMM_TEACHERS:
        raise _refuse(run_dir, f"its teacher is {config.get('teacher')!r}, not ALP-GMM")
    if config.get("levels") is not None:
        raise _refuse(run_dir, "it ran on discrete levels, not the task space")
    space = config.get("task_space") or {}
    try:
        test_set = np.asarray(json.loads((run_dir / TEST_SET_FILE).read_text())["tasks"], dtype=np.float64)
    except (OSError, KeyError, json.JSONDecodeError):
        raise _refuse(run_dir, f"no readable {TEST_SET_FILE}") from None
    history = read_jsonl(run_dir / JSONL_FILES["history"], key="episode")
    evaluations = read_jsonl(run_dir / JSONL_FILES["evaluations"], key="step")
    snapshots = read_jsonl(run_dir / JSONL_FILES["teacher"], key="step")
    if not history:
        raise _refuse(run_dir, "no episodes in history.jsonl")
    if not evaluations:
        raise _refuse(run_dir, "no evaluations (evaluations.jsonl; eval_every was 0?)")
    tasks = np.array([h["task"] for h in history], dtype=np.float64)
    rewards = np.array([h["score"] for h in history], dtype=np.float64)
    reward_range = (config.get("teacher_params") or {}).get("reward_range")
    if reward_range is not None:  # the teacher's units: its ALPs were computed on these
        lo, hi = float(reward_range[0]), float(reward_range[1])
        rewards = np.clip((rewards - lo) / (hi - lo), 0.0, 1.0)
    steps = np.array([h["step"] for h in history], dtype=np.int64)
    kc_episodes = [int(np.searchsorted(steps, e["step"], side="right")) for e in evaluations]
    kc = np.array([e["returns"] for e in evaluations], dtype=np.float64)
    mixtures: list[tuple[int, dict[str, Any]]] = []
    for s in snapshots:
        g = (s.get("internals") or {}).get("gmm")
        if g and g.get("means") and (not mixtures or g["means"] != mixtures[-1][1]["means"]):
            mixtures.append((int(s["episode"]), g))
    if not mixtures:
        raise _refuse(run_dir, "no ALP-GMM mixture in teacher.jsonl (too short, or teacher_log_every too long)")
    teacher_params = config.get("teacher_params") or {}
    if space.get("low") is None or space.get("high") is None:
        raise _refuse(run_dir, f"no task_space bounds in {CONFIG_FILE}")
    volume = float(np.prod(np.asarray(space["high"], dtype=np.float64) - np.asarray(space["low"], dtype=np.float64)))
    student = classroom_student(
        run_dir.name, kc_episodes, kc, kc[-1], mixtures, tasks, rewards,
        {"env": config.get("env"), "env_kwargs": config.get("env_kwargs") or {}, "seed": config.get("seed"),
         "teacher_params": teacher_params},
        float(teacher_params.get("random_task_ratio", DEFAULT_RANDOM_TASK_RATIO)), volume,
    )
    return student, {"low": space.get("low"), "high": space.get("high"), "test_set": test_set}


def find_runs(paths: Sequence[str | Path]) -> list[Path]:
    """Run directories among ``paths``: each path is a run directory (has ``config.yaml``) or
    a folder searched recursively for them (a sweep folder).

    :raises ValueError: for a path that does not exist or holds no run.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise ValueError(f"{str(p)!r} does not exist")
        found = [p] if (p / CONFIG_FILE).is_file() else sorted(c.parent for c in p.rglob(CONFIG_FILE))
        if not found:
            raise ValueError(f"{str(p)!r} holds no run directory (no {CONFIG_FILE} under it)")
        out.extend(found)
    return out


def build_classroom(
    paths: Sequence[str | Path], out: str | Path | None = None, alp_threshold: float = 0.2
) -> Classroom:
    """A classroom from ALP-GMM run directories or sweep folders (written to ``out`` if given).

    :param paths: run directories and/or folders holding them.
    :param out: the classroom file to write (JSON), or ``None``.
    :param alp_threshold: a run joins only with a Gaussian of mean ALP above this (the
        teacher's ``alp_threshold``, default 0.2, [MA]).
    :raises ValueError: naming every refused run (bad runs are never skipped silently).
    """
    runs = find_runs(paths)
    students, problems = [], []
    ref: dict[str, Any] | None = None
    for run in runs:
        try:
            student, info = student_from_run(run)
            if ref is None:
                ref = {**info, "run": run}
            elif info["low"] != ref["low"] or info["high"] != ref["high"]:
                raise _refuse(run, f"task space [{info['low']}, {info['high']}] differs from "
                                   f"{str(ref['run'])!r}'s [{ref['low']}, {ref['high']}]")  # fmt: skip
            elif info["test_set"].shape != ref["test_set"].shape or not np.allclose(info["test_set"], ref["test_set"]):
                raise _refuse(run, f"its test set (the pre-test tasks) differs from {str(ref['run'])!r}'s")
            if not any((s["lp"] > alp_threshold).any() for s in student.snapshots):
                raise _refuse(run, f"no ALP-GMM Gaussian has mean ALP above {alp_threshold}")
            students.append(student)
        except ValueError as err:
            problems.append(str(err))
    if problems:
        raise ValueError(f"{len(problems)} of {len(runs)} runs refused:\n  " + "\n  ".join(problems))
    room = Classroom(
        ref["low"], ref["high"], ref["test_set"], students,
        {"runs": [str(r) for r in runs], "alp_threshold": alp_threshold},
    )
    if out is not None:
        room.save(out)
    return room
