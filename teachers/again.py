"""AGAIN: curricula transferred from a classroom of earlier students (Meta-ACL).

Portelas, Romac, Hofmann & Oudeyer, "Meta Automatic Curriculum Learning" (arXiv:2011.08463).
Defaults come from its code, flowersteam/meta-acl@7d2d5b9 ([MA]): ``teachers/algos/again.py``,
``run.py`` (Parkour) and ``toy_run.py`` (toy env); each is cited where it is used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.alp_gmm import ALPGMMTeacher
from teachers.classroom import Classroom, ProgressNiche, mixture_responsibilities
from teachers.registry import register
from teachers.state import Array, Int, ListOf, Optional, StateField
from teachers.validation import Boolean, Integral, Interval, Options, Real, Satisfies, short_repr

__all__ = ["AGAINTeacher"]

#: Uniform share while AGAIN is plain ALP-GMM, before the pre-test ([MA] again.py: 0.1, hard-coded).
PRETEST_RANDOM_RATIO = 0.1
#: T-replay moves to the next IN mixture every this many episodes ([MA] again.py: 250).
T_PERIOD = 250
#: Hand-over: ALPs remembered per last-IN Gaussian, and additions between their ALP
#: refreshes ([MA] again.py: deque(maxlen=100), refresh when 100 were added).
HANDOVER_WINDOW = 100
#: Sampled tasks whose source is remembered until their update (more envs than this in
#: flight: the oldest fall back to inferring the source from the task).
MAX_IN_FLIGHT = 1024


def _is_classroom(value: Any) -> bool:
    return isinstance(value, Mapping) and "students" in value


@register("again")
class AGAINTeacher(ALPGMMTeacher):
    """AGAIN (Portelas et al., Meta-ACL): pre-test, k-nearest earlier students, replay of the
    best one's progress niches, mixed with and handed over to ALP-GMM.

    1. **Pre-test.** For its first ``pretest_episodes`` episodes AGAIN is ALP-GMM (uniform
       share 0.1, [MA] again.py). Then the student is measured on the classroom's fixed
       pre-test tasks (:meth:`pretest_due`, :meth:`pretest_tasks`,
       :meth:`set_pretest_results`: the curriculum loop does this): the scores are its
       *knowledge component* (KC) vector.
    2. **Expert.** Among the ``k`` classroom students whose KC vector measured at the same
       point of training is nearest (Euclidean), the expert is the one whose final test
       vector has the largest sum ([MA] ``get_k_experts``; :meth:`Classroom.select_expert`).
       Without a pre-test: ``expert_selection="random"`` picks a random classroom student
       ([MA] ``-re``); ``"ground_truth"`` compares ``student_params`` (e.g. the body) with
       the classroom students' ``params`` instead of KC vectors ([MA] ``-gt``;
       :meth:`Classroom.nearest_by_params`): an upper reference for what KC-based
       selection can find. Both choose at episode ``pretest_episodes``.
    3. **Inferred progress niches (IN).** The expert's ALP-GMM mixtures, each reduced to its
       Gaussians of mean ALP > ``alp_threshold`` (empty ones dropped), with reference rewards
       (:meth:`Classroom.progress_niches`). Replayed by ``replay``:

       - ``"T"``: mixture ``min(episode // 250, last)``, the episode counted from the start
         of training;
       - ``"R"``: starts at the first mixture and moves to the next when the last
         ``r_list_len`` rewards of IN tasks (a full list) average at least the mixture's
         reference reward × ``tol_ratio``;
       - ``"P"``: one mixture pooling all IN Gaussians.
    4. **Mix.** With ``use_alp_gmm`` (AGAIN; without it the variants are IN-R/T/P), ALP-GMM
       keeps fitting on every episode and its latest Gaussians join the IN ones; a task is
       uniform with probability ``random_task_ratio``, else a Gaussian of the combined
       mixture is picked ∝ its mean ALP (uniformly if all are 0), sampled and clipped.
    5. **Hand-over** (R and T with ALP-GMM, [MA] ``stop_R``): once the last IN mixture is
       reached the uniform share becomes ``in_end_random_ratio``, and each of its Gaussians
       tracks the ALPs of its tasks (last 100); every 100 such tasks its mean ALP is
       replaced by their mean (0 if none), so niches the student no longer progresses on
       fade and ALP-GMM takes over.

    **Not in [MA]: giving up a replay.** With a wrong expert (another body's, chosen because
    a slow starter's KC vector is near every other slow starter's), R can wait forever on
    niches the student cannot learn. With ``r_patience``, R that has stayed on one mixture
    for that many episodes jumps to the last mixture, so the hand-over starts: niches where
    the student shows no progress fade and ALP-GMM takes over. Default off, as [MA].

    Not implemented from [MA]: IN-R alone switching to ALP-GMM 250 episodes after its last
    mixture (``stop_R`` without ALP-GMM), re-initialising the student after the pre-test
    (``-rap``) and classroom subsampling (``-cp``).

    Which Gaussian a task came from (for R's reward list and the hand-over's ALP windows) is
    recorded when :meth:`sample` draws it, as [MA] records it (``sampled_gaussian_idx``, the
    ``"egt"`` origin), and looked up when the task comes back to :meth:`update`, so several
    envs may interleave samples and updates. Only a task this teacher did not sample (or one
    of more than 1024 in flight) has its source inferred: the likeliest one under the
    current sampling distribution.

    Without ``classroom`` AGAIN is ALP-GMM with a 0.1 uniform share (the reference before its
    pre-test). The IN Gaussians' ALPs and reference rewards are in the classroom runs' score
    units: give AGAIN the same ``reward_range`` as they had.

    :param task_space: a ``Box``; must equal the classroom's.
    :param seed: RNG seed.
    :param reward_range: optional ``(lo, hi)`` mapping scores to ``[0, 1]``.
    :param fit_rate: ALP-GMM refit period (episodes). Default 250 ([MA] alp_gmm.py).
    :param potential_ks: ALP-GMM candidate sizes. Default 2..10 ([MA] alp_gmm.py).
    :param criterion: ALP-GMM model selection. Default ``"aic"`` ([MA] alp_gmm.py).
    :param random_task_ratio: uniform share after the pre-test, with ALP-GMM. Default 0.02
        ([MA] again.py's default, and the README's AGAIN command on the toy env passes
        ``-rnd 2``; ``-rnd 10`` is what its ALP-GMM commands pass).
    :param nb_em_init: k-means initialisations per ALP-GMM candidate. Default 1.
    :param initial_dist: ALP-GMM's optional initial Gaussian. Default ``None``.
    :param alp_max_size: ALP-GMM's memory bound. Default ``None``.
    :param classroom: a classroom file path, its parsed JSON dict (:mod:`teachers.classroom`),
        or ``None``.
    :param replay: ``"R"``, ``"T"`` or ``"P"``. Default ``"R"`` ([MA] run.py and toy_run.py
        ``expert_type``; again.py's own default is ``"P"``).
    :param use_alp_gmm: AGAIN (``True``) or IN alone (``False``). Default ``True`` (the
        paper's AGAIN; [MA] again.py defaults to ``False``).
    :param k: neighbours considered. Default 5 ([MA] again.py and toy_run.py; run.py: 3).
    :param pretest_episodes: episodes of ALP-GMM before the pre-test. Default 0 (at the start
        of training; [MA] pre-tests after ``pretrain_epochs`` test epochs: toy 1 epoch =
        10k of 200k episodes).
    :param expert_selection: ``"knn"`` (default), ``"random"`` ([MA] ``-re``) or
        ``"ground_truth"`` ([MA] ``-gt``; needs ``student_params``).
    :param student_params: the new student's description for ``"ground_truth"``, in the
        form of the classroom students' ``params`` (for run directories
        ``{"env_kwargs": {...}}``): values that are not floats must be equal, floats are
        compared by distance. Default ``None``.
    :param alp_threshold: mean ALP above which an expert Gaussian is a progress niche.
        Default 0.2 ([MA] load_expert_trajectory ``alp_thr``).
    :param r_list_len: R-replay reward list length. Default 10 ([MA] run.py and toy_run.py;
        again.py: 50).
    :param tol_ratio: R-replay tolerance on the reference reward. Default 1.0 ([MA]).
    :param in_end_random_ratio: uniform share once the last IN mixture is reached. Default
        ``None``: ``random_task_ratio`` ([MA] again.py ``in_end_rnd``).
    :param r_patience: R-replay with ALP-GMM only (refused otherwise): episodes on one IN
        mixture after which R gives up and starts the hand-over (see above). Default
        ``None``: never ([MA]).
    """

    uses_pretest: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "classroom": [None, str, Path, Satisfies(_is_classroom, "a classroom dict (teachers.classroom)")],
        "replay": [Options(("R", "T", "P"))],
        "use_alp_gmm": [Boolean()],
        "k": [Interval(Integral, 1, None)],
        "pretest_episodes": [Interval(Integral, 0, None)],
        "expert_selection": [Options(("knn", "random", "ground_truth"))],
        "student_params": [None, Mapping],
        "alp_threshold": [Interval(Real, 0, None)],
        "r_list_len": [Interval(Integral, 1, None)],
        "tol_ratio": [Interval(Real, 0, None)],
        "in_end_random_ratio": [None, Interval(Real, 0, 1)],
        "r_patience": [None, Interval(Integral, 1, None)],
    }
    path_params: ClassVar[tuple[str, ...]] = ("classroom",)
    state_version: ClassVar[int] = 2
    _state_fields: ClassVar[dict[str, StateField]] = {
        "_expert": Int(low=-1),  # classroom index of the expert; -1 before the pre-test
        "_pretest_scores": Optional(Array("f", (lambda t: len(t._classroom.pretest_tasks) if t._classroom is not None else 0,))),
        "_pretest_episode": Int(low=-1),
        "_in_index": Int(low=0),  # current IN mixture (R and T)
        "_entered_at": Int(low=0),  # episode at which the current IN mixture was entered
        "_gave_up_at": Int(low=-1),  # episode at which R gave up (r_patience), -1 if it did not
        # R: the latest rewards of IN tasks, oldest first, in the last _n_rewards slots.
        "_reward_list": Array("f", ("r_list_len",)),
        "_n_rewards": Int(low=0, high="r_list_len"),
        "_handover_lp": Optional(Array("f", (None,))),  # None until the last IN mixture is reached
        "_handover_alps": ListOf(Array("f", (None,))),
        "_handover_added": Int(low=0),
        # Per pending ALP-GMM episode: the last-IN Gaussian it came from during the hand-over, or -1.
        "_origins": Array("i", ("fit_rate",)),
        # Tasks sampled and not yet updated (raw units), with their source: (IN Gaussian or -1,
        # IN mixture index at sampling).
        "_in_flight_tasks": Array("f", (None, "unit.dim")),
        "_in_flight_sources": Array("i", (None, 2)),
    }

    def __init__(
        self,
        task_space: spaces.Space,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        fit_rate: int = 250,
        potential_ks: Sequence[int] = tuple(range(2, 11)),
        criterion: str = "aic",
        random_task_ratio: float = 0.02,
        nb_em_init: int = 1,
        initial_dist: dict[str, Any] | None = None,
        alp_max_size: int | None = None,
        classroom: str | Path | dict[str, Any] | None = None,
        replay: str = "R",
        use_alp_gmm: bool = True,
        k: int = 5,
        pretest_episodes: int = 0,
        expert_selection: str = "knn",
        alp_threshold: float = 0.2,
        r_list_len: int = 10,
        tol_ratio: float = 1.0,
        in_end_random_ratio: float | None = None,
        student_params: Mapping[str, Any] | None = None,
        r_patience: int | None = None,
    ) -> None:
        super().__init__(
            task_space, seed, reward_range, fit_rate, potential_ks, criterion, random_task_ratio,
            nb_em_init, initial_dist, alp_max_size,
        )
        self.classroom = classroom
        self.replay = replay
        self.use_alp_gmm = bool(use_alp_gmm)
        self.k = int(k)
        self.pretest_episodes = int(pretest_episodes)
        self.expert_selection = expert_selection
        self.alp_threshold = float(alp_threshold)
        self.r_list_len = int(r_list_len)
        self.tol_ratio = float(tol_ratio)
        self.in_end_random_ratio = in_end_random_ratio
        self.student_params = student_params
        self.r_patience = r_patience
        self._classroom = self._load_classroom(classroom)
        if r_patience is not None and (replay != "R" or not use_alp_gmm):
            raise ValueError(
                f"AGAINTeacher: r_patience={r_patience!r} applies to R-replay with ALP-GMM only "
                f"(replay={replay!r}, use_alp_gmm={use_alp_gmm!r}); leave it None"
            )
        if expert_selection == "ground_truth" and self._classroom is not None:
            if student_params is None:
                raise ValueError("AGAINTeacher: expert_selection='ground_truth' needs student_params (the new student's)")
            try:  # refuse a description no classroom student has, now rather than at the pre-test
                self._classroom.nearest_by_params(student_params, self.k)
            except ValueError as err:
                raise ValueError(f"AGAINTeacher: {err}") from None
        self._expert = -1
        self._pretest_scores: np.ndarray | None = None
        self._pretest_episode = -1
        self._in_index = 0
        self._entered_at = 0
        self._gave_up_at = -1
        self._reward_list = np.zeros(self.r_list_len)
        self._n_rewards = 0
        self._handover_lp: np.ndarray | None = None
        self._handover_alps: list[np.ndarray] = []
        self._handover_added = 0
        self._origins = np.full(self.fit_rate, -1, dtype=np.int64)
        self._in_flight_tasks = np.zeros((0, self.unit.dim))
        self._in_flight_sources = np.zeros((0, 2), dtype=np.int64)
        self._drawn = (-1, -1)  # source of the task being sampled
        self._niches: list[ProgressNiche] = []
        self._mix: dict[str, np.ndarray] | None = None  # cache of the combined mixture

    def _load_classroom(self, classroom: Any) -> Classroom | None:
        if classroom is None:
            return None
        room = Classroom.from_dict(classroom) if isinstance(classroom, Mapping) else Classroom.load(classroom)
        u = self.unit
        if room.dim != u.dim or not (np.allclose(room.low, u.low) and np.allclose(room.high, u.high)):
            raise ValueError(
                f"AGAINTeacher: classroom {short_repr(classroom)} has task space [{room.low.tolist()}, "
                f"{room.high.tolist()}], this teacher's is [{u.low.tolist()}, {u.high.tolist()}]"
            )
        return room

    # ------------------------------------------------------------------ pre-test
    def pretest_due(self) -> bool:
        return (
            self._classroom is not None and self.expert_selection == "knn" and self._expert < 0
            and self.n_updates >= self.pretest_episodes
        )

    def pretest_tasks(self) -> np.ndarray:
        """The classroom's pre-test tasks (``(n, d)``, raw units)."""
        if self._classroom is None:
            raise ValueError("AGAINTeacher: no classroom, hence no pre-test tasks")
        return self._classroom.pretest_tasks.copy()

    def set_pretest_results(self, scores: Any) -> None:
        """Select the expert from the student's scores on :meth:`pretest_tasks` and start
        replaying its progress niches.

        :raises ValueError: when no pre-test is due, or for scores that are not one finite
            number per pre-test task.
        """
        if not self.pretest_due():
            raise ValueError(f"AGAINTeacher: no pre-test is due (episode {self.n_updates}, expert {self._expert})")
        try:
            arr = np.asarray(scores, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise ValueError(f"AGAINTeacher: pre-test scores {short_repr(scores)} are not numbers") from None
        n = len(self._classroom.pretest_tasks)
        if arr.shape != (n,) or not np.all(np.isfinite(arr)):
            raise ValueError(f"AGAINTeacher: expected {n} finite pre-test scores, got {short_repr(scores)}")
        self._pretest_scores = arr
        self._pretest_episode = self.n_updates
        self._start_replay(self._classroom.select_expert(arr, self.n_updates, self.k))

    def _start_replay(self, expert: int) -> None:
        self._expert = int(expert)
        self._niches = self._classroom.progress_niches(self._expert, self.alp_threshold)
        self._in_index = min(self.n_updates // T_PERIOD, self._last) if self.replay == "T" else 0
        self._entered_at = self.n_updates
        self._mix = None
        self._maybe_start_handover()

    def _maybe_select_without_pretest(self) -> None:
        if (
            self._expert < 0 and self._classroom is not None and self.expert_selection != "knn"
            and self.n_updates >= self.pretest_episodes
        ):
            if self.expert_selection == "random":
                self._start_replay(int(self.rng.integers(len(self._classroom))))
            else:
                self._start_replay(self._classroom.select_expert_by_params(self.student_params, self.k))

    @property
    def _last(self) -> int:
        return max(len(self._niches) - 1, 0)

    @property
    def _replaying(self) -> bool:
        return self._expert >= 0 and bool(self._niches)

    # ------------------------------------------------------------------ the combined mixture
    def _in_part(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The current IN Gaussians: raw means, raw covariances, mean ALPs."""
        if self.replay == "P":
            group = self._niches
        else:
            group = [self._niches[self._in_index]]
        means = np.concatenate([n.means for n in group])
        covs = np.concatenate([n.covariances for n in group])
        lp = np.concatenate([n.lp for n in group])
        if self._handover_lp is not None:
            lp = self._handover_lp
        return means, covs, lp

    def _mixture(self) -> dict[str, np.ndarray]:
        if self._mix is not None:
            return self._mix
        means, covs, lp = self._in_part()
        n_in = len(lp)
        if self.use_alp_gmm and self._gmm is not None:
            g, r = self._gmm, self.unit.range
            means = np.concatenate([means, g["raw_means"]])
            covs = np.concatenate([covs, g["cov"] * r[:, None] * r[None, :]])
            lp = np.concatenate([lp, g["lp"]])
        lp = np.maximum(lp, 0.0)
        pick = lp / lp.sum() if lp.sum() > 0 else np.full(len(lp), 1.0 / len(lp))
        d = self.unit.dim
        self._mix = {
            "means": means, "covs": covs, "lp": lp, "pick": pick, "cum_p": np.cumsum(pick),
            "chol": np.linalg.cholesky(covs + 1e-12 * np.eye(d)), "n_in": np.int64(n_in),
        }
        return self._mix

    def _set_gmm(self, fit: Any, lp: np.ndarray) -> None:
        super()._set_gmm(fit, lp)
        self._mix = None

    @property
    def _uniform_ratio(self) -> float:
        if not self.use_alp_gmm:
            return 0.0  # [MA]: IN alone never samples uniformly
        if self._handover_lp is not None and self.in_end_random_ratio is not None:
            return float(self.in_end_random_ratio)
        return self.random_task_ratio

    # ------------------------------------------------------------------ sampling
    def sample(self) -> np.ndarray:
        """Propose the next task and remember which Gaussian drew it (see the class docstring)."""
        self._drawn = (-1, -1)
        task = super().sample()
        if self._replaying:
            row = np.asarray(task, dtype=np.float64).reshape(1, -1)
            self._in_flight_tasks = np.concatenate([self._in_flight_tasks, row])[-MAX_IN_FLIGHT:]
            self._in_flight_sources = np.concatenate([self._in_flight_sources, [self._drawn]])[-MAX_IN_FLIGHT:]
        return task

    def _sample(self) -> np.ndarray:
        self._maybe_select_without_pretest()
        u = self.unit
        if not self._replaying:  # pre-test (or no classroom): ALP-GMM with a 0.1 uniform share
            if self._gmm is None or self.rng.random() < PRETEST_RANDOM_RATIO:
                return u.low + u.range * self.rng.random(u.dim)
            return self._sample_gmm()
        self._drawn = (-1, self._in_index)
        if self.rng.random() < self._uniform_ratio:
            return u.low + u.range * self.rng.random(u.dim)
        return self._sample_mixture()

    def _sample_mixture(self) -> np.ndarray:
        m = self._mixture()
        i = min(int(np.searchsorted(m["cum_p"], self.rng.random() * m["cum_p"][-1], side="right")), len(m["lp"]) - 1)
        self._drawn = (i if i < int(m["n_in"]) else -1, self._in_index)
        return m["means"][i] + m["chol"][i] @ self.rng.standard_normal(self.unit.dim)

    def non_exploratory_sample(self) -> np.ndarray:
        """A task from the combined mixture (ALP-GMM's before the pre-test)."""
        if not self._replaying:
            return super().non_exploratory_sample()
        return self._finalize_task(self._sample_mixture())

    # ------------------------------------------------------------------ updates
    def _source(self, task: np.ndarray) -> tuple[int, int]:
        """``(IN Gaussian or -1, IN mixture index)`` the task was drawn from: as recorded by
        :meth:`sample` (the oldest matching task in flight), else inferred (:meth:`_origin`)."""
        if len(self._in_flight_tasks):
            match = np.flatnonzero((self._in_flight_tasks == task[None]).all(axis=1))
            if len(match):
                j = int(match[0])
                source = self._in_flight_sources[j]
                self._in_flight_tasks = np.delete(self._in_flight_tasks, j, axis=0)
                self._in_flight_sources = np.delete(self._in_flight_sources, j, axis=0)
                return int(source[0]), int(source[1])
        origin = self._origin(task)
        return (origin if 0 <= origin < int(self._mixture()["n_in"]) else -1), self._in_index

    def _origin(self, task: np.ndarray) -> int:
        """The likeliest source of ``task``: a combined-mixture index, or -1 (uniform)."""
        m = self._mixture()
        ratio = self._uniform_ratio
        log_comp = mixture_responsibilities(task[None], m["means"], m["covs"], m["pick"])[0]
        with np.errstate(divide="ignore"):
            log_comp = log_comp + math.log(1.0 - ratio) if ratio < 1 else np.full_like(log_comp, -np.inf)
            log_uniform = math.log(ratio) - float(np.log(self.unit.range).sum()) if ratio > 0 else -np.inf
        best = int(np.argmax(log_comp))
        return best if log_comp[best] >= log_uniform else -1

    def _update(self, task: np.ndarray, score: float) -> None:
        self._maybe_select_without_pretest()
        if self._replaying:
            origin, mixture = self._source(np.asarray(task, dtype=np.float64))
            from_in = origin >= 0
            if self._handover_lp is not None:  # [MA]: ALPs of the last IN mixture's tasks only
                self._origins[self._n_pending] = origin if from_in and mixture == self._last else -1
            if self.replay == "R" and self._handover_lp is None:
                if from_in:
                    self._reward_list[:-1] = self._reward_list[1:]
                    self._reward_list[-1] = score
                    self._n_rewards = min(self._n_rewards + 1, self.r_list_len)
                if (
                    self._n_rewards == self.r_list_len and self._in_index < self._last
                    and self._reward_list.mean() >= self._niches[self._in_index].reference_reward * self.tol_ratio
                ):
                    self._advance(self._in_index + 1)
                elif self.r_patience is not None and self.n_updates + 1 - self._entered_at >= self.r_patience:
                    self._gave_up_at = self.n_updates + 1
                    self._advance(self._last)
            elif self.replay == "T":
                self._advance(min((self.n_updates + 1) // T_PERIOD, self._last))
        super()._update(task, score)  # ALP-GMM trains on every episode ([MA] use_alpgmm)

    def _advance(self, index: int) -> None:
        if index != self._in_index:
            self._in_index = index
            self._entered_at = self.n_updates + 1
            self._reward_list[:] = 0.0
            self._n_rewards = 0
            self._mix = None
        self._maybe_start_handover()

    def _maybe_start_handover(self) -> None:
        if (
            self._handover_lp is None and self.use_alp_gmm and self.replay in ("R", "T")
            and self._replaying and self._in_index == self._last
        ):
            lp = self._niches[self._last].lp
            self._handover_lp = lp.copy()
            self._handover_alps = [np.zeros(0) for _ in lp]
            self._handover_added = 0
            self._mix = None

    def _on_window(self, alp: np.ndarray) -> None:
        if self._handover_lp is not None:
            for j, a in zip(self._origins, alp, strict=True):
                if j < 0:
                    continue
                if self._handover_added == HANDOVER_WINDOW:  # [MA]: refresh, then record
                    self._handover_lp = np.array([w.mean() if len(w) else 0.0 for w in self._handover_alps])
                    self._handover_added = 0
                    self._mix = None
                self._handover_alps[j] = np.append(self._handover_alps[j], a)[-HANDOVER_WINDOW:]
                self._handover_added += 1
        self._origins[:] = -1

    # ------------------------------------------------------------------ state and internals
    def _assign_state(self, values: dict[str, Any]) -> None:
        super()._assign_state(values)
        self._niches = self._classroom.progress_niches(self._expert, self.alp_threshold) if self._expert >= 0 else []
        self._mix = None

    def _check_state_consistency(self, values: dict[str, Any]) -> None:
        super()._check_state_consistency(values)
        n = len(self._classroom) if self._classroom is not None else 0
        if values["_expert"] >= n:
            raise ValueError(f"AGAINTeacher: state field '_expert' {values['_expert']} is not a student of a classroom of {n}")
        if values["_expert"] >= 0:
            n_mix = len(self._classroom.progress_niches(values["_expert"], self.alp_threshold))
            if values["_in_index"] >= max(n_mix, 1):
                raise ValueError(f"AGAINTeacher: state field '_in_index' {values['_in_index']} exceeds {n_mix} IN mixtures")
            ho = values["_handover_lp"]
            if ho is not None and (len(ho) != len(values["_handover_alps"]) or n_mix == 0):
                raise ValueError("AGAINTeacher: state fields '_handover_lp' and '_handover_alps' disagree")
            if ho is not None and values["_origins"].max(initial=-1) >= len(ho):
                raise ValueError("AGAINTeacher: state field '_origins' names a Gaussian beyond '_handover_lp'")
            if ho is not None and len(ho) != len(self._classroom.progress_niches(values["_expert"], self.alp_threshold)[-1].lp):
                raise ValueError("AGAINTeacher: state field '_handover_lp' does not match the last IN mixture")
        if len(values["_in_flight_tasks"]) != len(values["_in_flight_sources"]) or len(values["_in_flight_tasks"]) > MAX_IN_FLIGHT:
            raise ValueError("AGAINTeacher: state fields '_in_flight_tasks' and '_in_flight_sources' disagree")
        if any(len(a) > HANDOVER_WINDOW for a in values["_handover_alps"]):
            raise ValueError(f"AGAINTeacher: state field '_handover_alps' holds more than {HANDOVER_WINDOW} ALPs")

    def internals(self) -> dict[str, Any]:
        """``{"gmm": ..., "again": ...}``: the mixture tasks are drawn from (raw units; the
        combined IN + ALP-GMM one once replaying, ALP-GMM's before), and AGAIN's phase:
        ``expert`` (classroom id or ``None``), ``in_index``, ``n_in`` (IN mixtures),
        ``handed_over``, ``pretest_episode`` and ``gave_up_at`` (-1 unless ``r_patience``
        ended the replay)."""
        again = {
            "expert": self._classroom.students[self._expert].id if self._expert >= 0 else None,
            "in_index": int(self._in_index), "n_in": len(self._niches),
            "handed_over": self._handover_lp is not None, "pretest_episode": int(self._pretest_episode),
            "gave_up_at": int(self._gave_up_at),
        }
        if not self._replaying:
            return {**super().internals(), "again": again}
        m = self._mixture()
        return {
            "gmm": {"means": m["means"].tolist(), "covariances": m["covs"].tolist(), "weights": m["pick"].tolist(),
                    "lp": m["lp"].tolist()},
            "again": again,
        }
