"""Expert knowledge (TeachMyAgent's levels): what an env declares, given to the teacher.

TeachMyAgent (Romac et al. 2021, ``run_utils/teacher_args_handler.py``) runs every teacher at
an expert-knowledge (EK) level: ``"no"``, ``"low"`` (knowledge about rewards: ADR's reward
thresholds, GoalGAN's and Setter-Solver's success definition) or ``"high"`` (also the
environment's distribution of easy tasks, ``initial_dist``: ALP-GMM's and Covar-GMM's bootstrap,
ADR's start point, GoalGAN's pretraining). Here the run option ``expert_knowledge`` does the
same from what the env declares in its ``expert_knowledge`` attribute
(:class:`envs.base.ParameterizedEnv`):

- ``"none"`` (default, so existing configs keep their meaning): nothing from the env;
- ``"low"``: the env's ``reward_range`` (the teacher maps scores to ``[0, 1]`` with it;
  TeachMyAgent's ``env_reward_lb``/``env_reward_ub``, e.g. (-150, 350) for Stump Tracks);
- ``"high"``: ``"low"`` plus ``initial_dist`` (teachers with that parameter; ADR, which has
  none, gets its mean as ``initial_task``) and ``target_dist`` where the env declares one
  (SPDL; TeachMyAgent's handler passes SPDL's distributions only at its "original"/"maximal"
  levels while its benchmark scripts ask for "high": here "high" gives them).

Success labels need no level: every env of the contract reports ``info["success"]``.
Parameters given explicitly in ``teacher_params`` always win over the filled-in ones. A
teacher with parameters in raw score units (ADR's ``max_reward_thr`` / ``min_reward_thr``,
raw returns as in TeachMyAgent, whose ``scale_reward`` is off by default) is not given the
reward range: it would silently change those thresholds' units.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["EXPERT_LEVELS", "RAW_SCORE_PARAMS", "expert_teacher_params"]

#: The levels of the ``expert_knowledge`` run option.
EXPERT_LEVELS = ("none", "low", "high")

#: Teacher parameters in raw score units: a teacher with one gets no ``reward_range``.
RAW_SCORE_PARAMS = ("max_reward_thr", "min_reward_thr")


def expert_teacher_params(
    teacher_cls: type, declared: Mapping[str, Any] | None, level: str, box_tasks: bool = True
) -> dict[str, Any]:
    """The teacher parameters that expert-knowledge ``level`` fills in from ``declared``.

    :param teacher_cls: the teacher class (only parameters it accepts are filled).
    :param declared: the env's ``expert_knowledge`` mapping (keys ``reward_range``,
        ``initial_dist``, ``target_dist``, all optional), or ``None``.
    :param level: one of :data:`EXPERT_LEVELS`.
    :param box_tasks: whether the teacher's tasks are the env's (``False`` for discrete
        levels or a task map: then distributions in env units do not apply).
    :raises ValueError: for an unknown level.
    """
    if level not in EXPERT_LEVELS:
        raise ValueError(f"unknown expert_knowledge {level!r}; choose one of {EXPERT_LEVELS}")
    declared = dict(declared or {})
    accepted = set(teacher_cls._param_names())
    out: dict[str, Any] = {}
    if level == "none":
        return out
    raw_scores = any(name in accepted for name in RAW_SCORE_PARAMS)
    if "reward_range" in declared and "reward_range" in accepted and not raw_scores:
        lo, hi = declared["reward_range"]
        out["reward_range"] = [float(lo), float(hi)]
    if level == "high" and box_tasks:
        for name in ("initial_dist", "target_dist"):
            dist = declared.get(name)
            if dist is not None and name in accepted:
                out[name] = {"mean": [float(v) for v in dist["mean"]], "std": [float(v) for v in dist["std"]]}
        initial = declared.get("initial_dist")
        if initial is not None and "initial_dist" not in accepted and "initial_task" in accepted:
            out["initial_task"] = [float(v) for v in initial["mean"]]
    return out
