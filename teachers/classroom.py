"""Classrooms for Meta-ACL: what AGAIN knows about earlier students, in one versioned file.

Portelas, Romac, Hofmann & Oudeyer, "Meta Automatic Curriculum Learning" (arXiv:2011.08463;
code flowersteam/meta-acl, [MA] below). A *classroom* is a set of earlier students, each
trained with ALP-GMM on the same task space. For each student it keeps what
:class:`~teachers.again.AGAINTeacher` needs:

- ``kc``: its *knowledge component* vectors, the scores on a fixed set of pre-test tasks
  measured during training, each with the episode it was measured at ([MA]
  ``teacher_controller.py``: the test vectors of the first epochs);
- ``final_test``: its scores on the pre-test tasks at the end of training (the expert is
  the neighbour whose final vector has the largest sum, [MA] ``again.py`` ``get_k_experts``);
- ``snapshots``: its ALP-GMM mixtures in fitting order (raw task units: ``means``,
  ``covariances``, ``weights``, and ``lp``, each component's mean ALP), each with
  ``reward_mean`` / ``reward_count``: the mean and number of the last (at most 50) rewards
  of the episodes that followed the fit and came from that component (see
  :func:`component_rewards`), and optionally ``origins`` / ``rewards``: every such
  episode's source (its component, -1 for a uniform draw; :func:`task_origins`) and reward,
  as [MA] records them (``tasks_origin``, ``env_train_rewards``). From them the reference
  reward of any set of kept components is computed (:meth:`Classroom.progress_niches`).

File format (JSON, :data:`FORMAT` / :data:`VERSION`)::

    {"format": "teachrl-classroom", "version": 1,
     "task_space": {"low": [...], "high": [...]},
     "pretest_tasks": [[...], ...],              # (n, d) raw tasks
     "source": {...},                            # free: how it was built
     "students": [
       {"id": "run-name", "params": {...},       # free: e.g. the env kwargs (the body)
        "kc": [{"episode": 0, "scores": [... n ...]}, ...],
        "final_test": [... n ...],
        "snapshots": [{"episode": 250, "means": [[...]], "covariances": [[[...]]],
                       "weights": [...], "lp": [...],
                       "reward_mean": [...], "reward_count": [...],
                       "origins": [...], "rewards": [...]}, ...]}]}   # the last two optional

``students/classroom.py`` builds one from run directories (``scripts/build_classroom.py``);
the simulated benchmark builds its entries directly with :class:`ClassroomStudent`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FORMAT",
    "VERSION",
    "Classroom",
    "ClassroomStudent",
    "ProgressNiche",
    "component_rewards",
    "flatten_params",
    "mixture_responsibilities",
    "task_origins",
]

FORMAT = "teachrl-classroom"
VERSION = 1
#: Rewards per component kept for the reference reward ([MA] ``load_expert_trajectory``: 50).
REFERENCE_REWARDS = 50


def _array(value: Any, ndim: int, what: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} is not a numeric array: {str(value)[:80]}") from None
    if arr.ndim != ndim or not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be a finite {ndim}-D array, got shape {arr.shape}")
    return arr


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one level of dotted keys: ``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists
    become tuples (comparable), numpy scalars Python numbers."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_params(value, f"{name}."))
        elif isinstance(value, list | tuple):
            out[name] = tuple(value)
        elif isinstance(value, np.generic):
            out[name] = value.item()
        else:
            out[name] = value
    return out


def mixture_responsibilities(
    tasks: np.ndarray, means: np.ndarray, covariances: np.ndarray, pick: np.ndarray
) -> np.ndarray:
    """Log-posterior (up to a constant per task) that each component produced each task.

    :param tasks: ``(n, d)``.
    :param means: ``(k, d)``.
    :param covariances: ``(k, d, d)``.
    :param pick: ``(k,)`` probabilities of picking each component (∝ ALP when sampling).
    :return: ``(n, k)`` ``log pick + log N(task; mean, cov)``.
    """
    tasks = np.atleast_2d(np.asarray(tasks, dtype=np.float64))
    d = tasks.shape[1]
    chol = np.linalg.cholesky(covariances + 1e-9 * np.eye(d))
    diff = tasks[None, :, :] - means[:, None, :]  # (k, n, d)
    z = np.linalg.solve(chol[:, None], diff[..., None])[..., 0]  # (k, n, d)
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(-1)
    with np.errstate(divide="ignore"):
        logpick = np.log(np.asarray(pick, dtype=np.float64))
    return (logpick[:, None] - 0.5 * ((z**2).sum(-1) + logdet[:, None] + d * math.log(2 * math.pi))).T


def task_origins(
    means: np.ndarray,
    covariances: np.ndarray,
    lp: np.ndarray,
    tasks: np.ndarray,
    random_task_ratio: float = 0.0,
    volume: float = 1.0,
) -> np.ndarray:
    """The likeliest source of each task of an ALP-GMM teacher: a component, or -1 for its
    uniform draw.

    [MA] records which Gaussian sampled each task (-1: uniform); run directories do not,
    so each episode is given to its likeliest source when a task is uniform with
    probability ``random_task_ratio`` (density ``random_task_ratio / volume``) and else from
    a component picked ∝ ALP (:func:`mixture_responsibilities`). Without the uniform source
    the uniform draws (mostly unlearned tasks, reward ~0) would be counted as the nearest
    component's, pulling its reference reward down (by ~0.09 on the toy classroom, where
    the ALP-GMM teacher draws 20 % of its tasks uniformly).

    :param means: ``(k, d)`` component means (any units consistent with ``tasks``).
    :param covariances: ``(k, d, d)``.
    :param lp: ``(k,)`` mean ALP per component.
    :param tasks: ``(n, d)``.
    :param random_task_ratio: the teacher's uniform share (0: none).
    :param volume: the volume of the task box (same units).
    :return: ``(n,)`` ints in ``-1 .. k-1``.
    """
    means, covariances = np.asarray(means, dtype=np.float64), np.asarray(covariances, dtype=np.float64)
    lp = np.maximum(np.asarray(lp, dtype=np.float64), 0.0)
    k = len(lp)
    tasks = np.asarray(tasks, dtype=np.float64)
    if len(tasks) == 0 or k == 0:
        return np.full(len(tasks), -1, dtype=np.int64)
    pick = lp / lp.sum() if lp.sum() > 0 else np.full(k, 1.0 / k)
    log_comp = mixture_responsibilities(tasks, means, covariances, pick)
    origin = np.argmax(log_comp, axis=1)
    if random_task_ratio >= 1:
        return np.full(len(tasks), -1, dtype=np.int64)
    if random_task_ratio > 0:
        log_uniform = math.log(random_task_ratio / volume) - math.log(1.0 - random_task_ratio)
        origin = np.where(log_comp.max(axis=1) >= log_uniform, origin, -1)
    return origin.astype(np.int64)


def component_rewards(
    means: np.ndarray,
    covariances: np.ndarray,
    lp: np.ndarray,
    tasks: np.ndarray,
    rewards: np.ndarray,
    last: int = REFERENCE_REWARDS,
    random_task_ratio: float = 0.0,
    volume: float = 1.0,
    origins: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and count of the last ``last`` rewards that came from each component, each
    episode given to its likeliest source (:func:`task_origins`; uniform draws to none).

    :param means: ``(k, d)`` component means (task dimensions, any units consistent with
        ``tasks``).
    :param covariances: ``(k, d, d)``.
    :param lp: ``(k,)`` mean ALP per component.
    :param tasks: ``(n, d)`` the episodes that followed the fit, in order.
    :param rewards: ``(n,)`` their scores.
    :param last: how many of the latest rewards per component count (default 50, [MA]).
    :param random_task_ratio: the teacher's uniform share (see :func:`task_origins`).
    :param volume: the volume of the task box.
    :param origins: the tasks' sources if already known (:func:`task_origins` of the same
        arguments); computed otherwise.
    :return: ``(reward_mean, reward_count)``, each ``(k,)``; mean 0 where the count is 0.
    """
    k = len(np.asarray(lp))
    mean, count = np.zeros(k), np.zeros(k, dtype=np.int64)
    if len(tasks) == 0 or k == 0:
        return mean, count
    origin = task_origins(means, covariances, lp, tasks, random_task_ratio, volume) if origins is None else origins
    rewards = np.asarray(rewards, dtype=np.float64)
    for j in range(k):
        r = rewards[origin == j][-last:]
        count[j] = len(r)
        mean[j] = float(r.mean()) if len(r) else 0.0
    return mean, count


@dataclass
class ProgressNiche:
    """One GMM of an expert's inferred-progress-niche curriculum (IN): its high-ALP Gaussians.

    :param episode: the episode of the expert's run at which the mixture was fitted.
    :param means: ``(k, d)`` raw task units.
    :param covariances: ``(k, d, d)`` raw task units.
    :param lp: ``(k,)`` mean ALP of each kept Gaussian.
    :param reference_reward: the mean reward the expert obtained on these Gaussians' tasks.
    """

    episode: int
    means: np.ndarray
    covariances: np.ndarray
    lp: np.ndarray
    reference_reward: float


@dataclass
class ClassroomStudent:
    """One earlier student of a :class:`Classroom` (see the module docstring).

    :param id: a name (the run directory's, or the simulated student's).
    :param kc_episodes: ``(m,)`` episodes at which the KC vectors were measured.
    :param kc: ``(m, n)`` scores on the ``n`` pre-test tasks.
    :param final_test: ``(n,)`` scores on the pre-test tasks at the end of training.
    :param snapshots: the ALP-GMM mixtures, dicts with ``episode``, ``means``,
        ``covariances``, ``weights``, ``lp``, ``reward_mean``, ``reward_count``.
    :param params: free information (e.g. the body).
    """

    id: str
    kc_episodes: np.ndarray
    kc: np.ndarray
    final_test: np.ndarray
    snapshots: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "params": self.params,
            "kc": [{"episode": int(e), "scores": v.tolist()} for e, v in zip(self.kc_episodes, self.kc, strict=True)],
            "final_test": self.final_test.tolist(),
            "snapshots": [
                {key: (np.asarray(v).tolist() if key != "episode" else int(v)) for key, v in s.items()}
                for s in self.snapshots
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], n_tasks: int, dim: int, where: str) -> ClassroomStudent:
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: a student must be a dict, got {type(data).__name__}")
        missing = {"id", "kc", "final_test", "snapshots"} - set(data)
        if missing:
            raise ValueError(f"{where}: student entry lacks {sorted(missing)}")
        sid = str(data["id"])
        where = f"{where} student {sid!r}"
        kc = data["kc"]
        if not isinstance(kc, list) or not kc:
            raise ValueError(f"{where}: 'kc' must be a non-empty list of {{episode, scores}}")
        kc_episodes = np.array([int(e["episode"]) for e in kc], dtype=np.int64)
        kc_vectors = _array([e["scores"] for e in kc], 2, f"{where}: 'kc' scores")
        final = _array(data["final_test"], 1, f"{where}: 'final_test'")
        if kc_vectors.shape[1] != n_tasks or len(final) != n_tasks:
            raise ValueError(
                f"{where}: KC vectors of {kc_vectors.shape[1]} and a final test of {len(final)} scores "
                f"do not match the {n_tasks} pre-test tasks"
            )
        snaps = []
        for i, s in enumerate(data["snapshots"]):
            w = f"{where} snapshot {i}"
            means = _array(s["means"], 2, f"{w}: 'means'")
            k = len(means)
            snap = {
                "episode": int(s["episode"]),
                "means": means,
                "covariances": _array(s["covariances"], 3, f"{w}: 'covariances'"),
                "weights": _array(s["weights"], 1, f"{w}: 'weights'"),
                "lp": _array(s["lp"], 1, f"{w}: 'lp'"),
                "reward_mean": _array(s["reward_mean"], 1, f"{w}: 'reward_mean'"),
                "reward_count": _array(s["reward_count"], 1, f"{w}: 'reward_count'"),
            }
            if means.shape[1] != dim or snap["covariances"].shape != (k, dim, dim) or any(
                len(snap[key]) != k for key in ("weights", "lp", "reward_mean", "reward_count")
            ):
                raise ValueError(f"{w}: component arrays do not agree with {k} components in {dim} dimensions")
            if ("origins" in s) != ("rewards" in s):
                raise ValueError(f"{w}: 'origins' and 'rewards' go together (one is missing)")
            if "origins" in s:
                snap["origins"] = _array(s["origins"], 1, f"{w}: 'origins'")
                snap["rewards"] = _array(s["rewards"], 1, f"{w}: 'rewards'")
                o = snap["origins"]
                if len(o) != len(snap["rewards"]) or (o != np.round(o)).any() or (o < -1).any() or (o >= k).any():
                    raise ValueError(f"{w}: 'origins' must be one component index in -1..{k - 1} per reward")
                snap["origins"] = o.astype(np.int64)
            snaps.append(snap)
        if not snaps:
            raise ValueError(f"{where}: no ALP-GMM snapshot")
        return cls(sid, kc_episodes, kc_vectors, final, snaps, dict(data.get("params") or {}))


class Classroom:
    """Earlier students of one task space (see the module docstring for the file format).

    :param low: ``(d,)`` task-space lower bounds.
    :param high: ``(d,)`` upper bounds.
    :param pretest_tasks: ``(n, d)`` the pre-test tasks (raw units).
    :param students: the students.
    :param source: free information on how the classroom was built.
    """

    def __init__(
        self,
        low: Sequence[float],
        high: Sequence[float],
        pretest_tasks: np.ndarray,
        students: Sequence[ClassroomStudent],
        source: dict[str, Any] | None = None,
    ) -> None:
        self.low = np.asarray(low, dtype=np.float64)
        self.high = np.asarray(high, dtype=np.float64)
        self.pretest_tasks = np.asarray(pretest_tasks, dtype=np.float64)
        self.students = list(students)
        self.source = dict(source or {})
        if not self.students:
            raise ValueError("a classroom needs at least one student")
        ids = [s.id for s in self.students]
        if len(set(ids)) != len(ids):
            raise ValueError(f"classroom student ids must be unique, got {ids}")

    def __len__(self) -> int:
        return len(self.students)

    @property
    def dim(self) -> int:
        return len(self.low)

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> dict[str, Any]:
        """The JSON form (see the module docstring)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "task_space": {"low": self.low.tolist(), "high": self.high.tolist()},
            "pretest_tasks": self.pretest_tasks.tolist(),
            "source": self.source,
            "students": [s.to_dict() for s in self.students],
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "classroom") -> Classroom:
        """Parse and check the JSON form.

        :param where: named in errors (the file).
        :raises ValueError: naming ``where`` and the bad entry.
        """
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"{where}: not a teachrl classroom (no 'format': {FORMAT!r})")
        if data.get("version") != VERSION:
            raise ValueError(f"{where}: classroom version {data.get('version')!r}, this teachrl reads {VERSION}")
        try:
            low = _array(data["task_space"]["low"], 1, f"{where}: task_space.low")
            high = _array(data["task_space"]["high"], 1, f"{where}: task_space.high")
            tasks = _array(data["pretest_tasks"], 2, f"{where}: pretest_tasks")
            students_data = data["students"]
        except (KeyError, TypeError) as err:
            raise ValueError(f"{where}: missing or malformed entry {err}") from None
        if len(high) != len(low) or tasks.shape[1] != len(low):
            raise ValueError(f"{where}: task_space and pretest_tasks disagree on the dimension")
        students = [ClassroomStudent.from_dict(s, len(tasks), len(low), where) for s in students_data]
        return cls(low, high, tasks, students, data.get("source"))

    def save(self, path: str | Path) -> Path:
        """Write the JSON file (``path``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict()))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Classroom:
        """Read a classroom file.

        :raises ValueError: naming the file, for a missing, unreadable or invalid file.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except OSError as err:
            raise ValueError(f"classroom file {str(path)!r} cannot be read: {err.strerror}") from None
        except json.JSONDecodeError as err:
            raise ValueError(f"classroom file {str(path)!r} is not JSON: {err}") from None
        return cls.from_dict(data, where=f"classroom file {str(path)!r}")

    # ------------------------------------------------------------------ AGAIN
    def kc_matrix(self, episode: int) -> np.ndarray:
        """``(N, n)``: each student's KC vector measured nearest ``episode`` (ties: earlier).

        [MA] compares with the classroom's vectors of the same test epoch; run directories
        measure at steps, so the nearest episode stands for the same epoch.
        """
        return np.stack([s.kc[int(np.argmin(np.abs(s.kc_episodes - episode)))] for s in self.students])

    def nearest(self, kc: np.ndarray, episode: int, k: int) -> np.ndarray:
        """Indices of the ``k`` students (fewer if the classroom is smaller) whose KC vector
        is nearest ``kc`` (Euclidean, as [MA]'s ball tree), nearest first, ties by index."""
        kc = np.asarray(kc, dtype=np.float64).reshape(-1)
        dist = np.linalg.norm(self.kc_matrix(episode) - kc[None, :], axis=1)
        return np.argsort(dist, kind="stable")[: min(k, len(self))]

    def select_expert(self, kc: np.ndarray, episode: int, k: int) -> int:
        """[MA] ``get_k_experts``: among the ``k`` nearest students by KC vector, the one whose
        final test vector has the largest sum (ties: the nearest)."""
        return self._best_final(self.nearest(kc, episode, k))

    def _best_final(self, neighbours: np.ndarray) -> int:
        """The neighbour whose final test vector has the largest sum (ties: the first)."""
        sums = np.array([self.students[i].final_test.sum() for i in neighbours])
        return int(neighbours[int(np.argmax(sums))])

    def nearest_by_params(self, params: Mapping[str, Any], k: int) -> np.ndarray:
        """[MA] ``get_k_experts`` with ``use_ground_truth`` (``-gt``): the students that share the
        new student's description, instead of its KC vector.

        ``params`` is compared with each student's ``params``, nested dicts read as dotted
        keys (``{"env_kwargs": {"drift": 0.015}}`` is ``env_kwargs.drift``). A student is a
        candidate if it has every key of ``params`` and the same value for each one that is
        not a float (a start cube, a body type, a network size); among the candidates, the
        ``k`` nearest on the float values (Euclidean; a leg scale, a drift), ties by index.
        [MA]: same type and network size, then k-NN on ``leg_s`` (Walker-Climber); same start
        cube (toy env v2).

        :raises ValueError: naming ``params`` if no student is a candidate.
        """
        want = flatten_params(params)
        numeric = sorted(key for key, v in want.items() if isinstance(v, float))  # numpy scalars: flattened
        candidates, dists = [], []
        for i, s in enumerate(self.students):
            have = flatten_params(s.params)
            if any(key not in have for key in want) or any(
                have[key] != v for key, v in want.items() if key not in numeric
            ) or any(not isinstance(have[key], int | float) or isinstance(have[key], bool) for key in numeric):
                continue
            candidates.append(i)
            dists.append(math.sqrt(sum((float(have[key]) - float(want[key])) ** 2 for key in numeric)))
        if not candidates:
            raise ValueError(
                f"no classroom student matches the student params {dict(params)!r} (flattened: {want}); "
                f"the students have {[flatten_params(s.params) for s in self.students[:3]]}"
                f"{' ...' if len(self) > 3 else ''}"
            )
        order = np.argsort(np.asarray(dists), kind="stable")[: min(k, len(candidates))]
        return np.asarray(candidates, dtype=np.int64)[order]

    def select_expert_by_params(self, params: Mapping[str, Any], k: int) -> int:
        """Among :meth:`nearest_by_params`, the student whose final test vector has the
        largest sum (ties: the nearest), as :meth:`select_expert`."""
        return self._best_final(self.nearest_by_params(params, k))

    def progress_niches(self, index: int, alp_threshold: float = 0.2) -> list[ProgressNiche]:
        """[MA] ``load_expert_trajectory``: the expert's GMMs with only their Gaussians of mean
        ALP above ``alp_threshold`` (default 0.2), GMMs left empty dropped; each with its
        reference reward: the mean of the last 50 rewards of the kept Gaussians' tasks
        pooled ([MA]; from the snapshot's ``origins`` / ``rewards``; files without them:
        count-weighted over the kept Gaussians' last 50 each); 0 if none was seen."""
        out = []
        for s in self.students[index].snapshots:
            keep = s["lp"] > alp_threshold
            if not keep.any():
                continue
            if "origins" in s:
                r = s["rewards"][np.isin(s["origins"], np.flatnonzero(keep))][-REFERENCE_REWARDS:]
                ref = float(r.mean()) if len(r) else 0.0
            else:
                n = s["reward_count"][keep]
                ref = float((s["reward_mean"][keep] * n).sum() / n.sum()) if n.sum() > 0 else 0.0
            out.append(ProgressNiche(int(s["episode"]), s["means"][keep], s["covariances"][keep], s["lp"][keep], ref))
        return out

    def has_niches(self, index: int, alp_threshold: float = 0.2) -> bool:
        """Whether the student has at least one GMM with a Gaussian of mean ALP above the
        threshold ([MA] keeps only such students in a classroom)."""
        return bool(self.progress_niches(index, alp_threshold))


def example_classroom(
    low: Sequence[float], high: Sequence[float], n_students: int = 4, n_tasks: int = 9, seed: int = 0
) -> dict[str, Any]:
    """A tiny synthetic classroom (JSON dict) over the box ``[low, high]``, for tests and docs.

    Student ``i`` progressed along a diagonal band of its own: its KC vectors and final test
    are noisy functions of the distance to that band, and its snapshots move along it with
    high-ALP Gaussians (ALP 0.3–0.6) and a low-ALP one (0.05). Not a benchmark.
    """
    rng = np.random.default_rng(seed)
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    d, r = len(low), high - low
    tasks = low + r * rng.random((n_tasks, d))
    students = []
    for i in range(n_students):
        centre = (i + 0.5) / n_students
        snaps = []
        for j in range(6):
            u = np.clip(np.array([[centre + 0.05 * j] * d, [0.8 - 0.1 * j] * d, [0.2] * d]), 0, 1)
            means = low + u * r
            covs = np.stack([np.diag((0.05 * r) ** 2)] * 3)
            snaps.append({
                "episode": 250 * (j + 1), "means": means, "covariances": covs, "weights": np.full(3, 1 / 3),
                "lp": np.array([0.3 + 0.05 * j, 0.6 - 0.05 * j, 0.05]),
                "reward_mean": np.array([0.2 + 0.1 * j, 0.5, 0.1]), "reward_count": np.array([50, 20, 10]),
            })
        kc = [np.exp(-np.abs((tasks - low) / r - centre).sum(1)) * (e + 1) / 3 + 0.01 * rng.random(n_tasks)
              for e in range(3)]
        students.append(ClassroomStudent(
            f"student-{i}", np.array([0, 250, 500]), np.array(kc), kc[-1] * 2 + i * 0.01, snaps, {"band": centre},
        ))
    return Classroom(low, high, tasks, students, {"kind": "example_classroom", "seed": seed}).to_dict()
