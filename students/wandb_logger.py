"""Weights & Biases logging of a curriculum run (offline by default: no account needed).

:class:`WandbLogger` is a :class:`students.loggers.RunLogger`. It makes exactly ONE
``run.log(data, step=step)`` call per logging step, with the loop's environment step as the
explicit W&B step: every record the loop hands over for a step (episodes, metrics, an
evaluation, a teacher snapshot) is buffered and flushed together when a later step arrives or
at :meth:`WandbLogger.close`.

What is logged (keys):

- every step with episodes: ``train/return``, ``train/score``, ``train/success_rate``,
  ``train/length`` (means over that step's episodes), ``train/episodes`` (total so far);
- every step with metrics: ``metrics/<name>`` (names already containing ``/`` are kept);
- every ``log_every_episodes`` episodes (and at close), over the last ``window_episodes``
  episodes: ``curriculum/episodes`` (a ``wandb.Table`` in ``INCREMENTAL`` mode: each log
  adds the rows of the episodes finished since the previous one; W&B shows them as one
  table), ``curriculum/hist/<dim name>`` (``wandb.Histogram`` per task dimension) and
  ``curriculum/density`` (2-D sampling-density heatmap image on ``dims``; ``d >= 2``);
- every teacher snapshot: numeric top-level internals as ``teacher/<key>``,
  ``teacher/internals`` (image: GMM 2σ ellipses coloured by ALP,
  RIAC regions, ADR box, over the window's tasks; arm probabilities as bars), scalars
  ``teacher/n_components``, ``teacher/max_lp``, ``teacher/n_regions``,
  ``teacher/bounds/<dim>/low|high``, ``teacher/prob/<arm>`` (up to 32 arms), plus a W&B
  bar chart ``teacher/probabilities`` (the 64 most probable arms);
- every evaluation: ``eval/mastered_pct``, ``eval/mean_return``, ``eval/success_rate``,
  ``eval/test_set_map`` (image: return per test task on the grid) and ``eval/per_task``
  (a Table of test task, return, success).

Resuming: the W&B run id is stored in ``<run_dir>/wandb/teachrl_wandb.json`` with the last
step logged, and ``wandb.init(resume="allow", id=...)`` continues the same W&B run. W&B cannot
rewrite history, so the steps a resumed run repeats (from its checkpoint up to the last step
already logged) are not sent again; their episodes still enter the table and the windows.
"""

from __future__ import annotations

import json
import os
import uuid
import warnings
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from students.loggers import RunLogger

__all__ = ["WandbLogger"]

MODES = ("online", "offline", "disabled")
STATE_FILE = "teachrl_wandb.json"
MAX_ARM_SCALARS = 32  # per-arm scalars only for small arm sets (the bar chart shows the rest)


def _jsonable(value: Any) -> Any:
    """Plain Python values for W&B tables (numpy scalars/arrays → int/float/list)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class WandbLogger(RunLogger):
    """Log a curriculum run to W&B.

    :param run_dir: the run directory; W&B files go to ``<run_dir>/wandb/``.
    :param mode: ``"offline"`` (default; sync later with ``wandb sync``), ``"online"`` or
        ``"disabled"`` (nothing is computed or written).
    :param project: W&B project.
    :param group: W&B group (e.g. a sweep name).
    :param tags: W&B tags.
    :param name: W&B display name.
    :param log_every_episodes: episodes between two logs of the curriculum table, histograms
        and density heatmap.
    :param window_episodes: how many of the most recent episodes the histograms, density
        and teacher images show.
    :param dims: the two task dimensions drawn in the 2-D images when ``d > 2``.
    :param max_table_rows: the episode table stops growing (with a warning) after this many
        rows: W&B keeps an incremental table's rows in memory. ``history.jsonl`` has them all.
    :param verbose: let W&B print its own console messages (run banners, sync hints, the
        summary at the end); off by default, the run's own output says where things are.
    """

    def __init__(
        self,
        run_dir: str | Path,
        mode: str = "offline",
        project: str = "teachrl",
        group: str | None = None,
        tags: Sequence[str] | None = None,
        name: str | None = None,
        log_every_episodes: int = 200,
        window_episodes: int = 1000,
        dims: Sequence[int] = (0, 1),
        max_table_rows: int = 100_000,
        verbose: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if log_every_episodes < 1:
            raise ValueError(f"log_every_episodes must be >= 1, got {log_every_episodes}")
        if window_episodes < 1:
            raise ValueError(f"window_episodes must be >= 1, got {window_episodes}")
        self.run_dir = Path(run_dir)
        self.mode = mode
        self.project = project
        self.group = group
        self.tags = list(tags) if tags else None
        self.name = name
        self.log_every_episodes = int(log_every_episodes)
        self.window_episodes = int(window_episodes)
        self.dims = tuple(dims)
        self.max_table_rows = int(max_table_rows)
        self.verbose = bool(verbose)
        self.run = None
        self._state_path = self.run_dir / "wandb" / STATE_FILE
        self._last_logged: int | None = None  # last step sent, this or a previous session
        self._pending_step: int | None = None
        self._pending: dict[str, Any] = {}
        self._step_episodes: list[dict[str, Any]] = []
        self._teacher: dict[str, Any] | None = None
        self._evaluation: dict[str, Any] | None = None
        self._window: deque[np.ndarray] = deque(maxlen=self.window_episodes)
        self._since_curriculum_log = 0
        self._n_episodes = 0
        self._table = None
        self._warned_backwards = False
        self._table_full_warned = False
        self.n_dropped_steps = 0

    # ------------------------------------------------------------------ RunLogger hooks
    def on_start(self, config: dict[str, Any], test_set: Sequence[Sequence[float]]) -> None:
        from students.plots import task_array

        space = config.get("task_space") or {}
        if space.get("low") is None or space.get("high") is None:
            raise ValueError(f"config['task_space'] needs 'low' and 'high', got {space!r}")
        self.low = np.atleast_1d(np.asarray(space["low"], dtype=np.float64))
        self.high = np.atleast_1d(np.asarray(space["high"], dtype=np.float64))
        names = space.get("names")
        d = self.low.size
        self.names = [str(n) for n in names] if names and len(names) == d else [f"task_{i}" for i in range(d)]
        self.test_set = task_array(test_set, d)
        if self.mode == "disabled" or self.run is not None:
            return
        import wandb

        state = self._read_state()
        run_id = state.get("id") or uuid.uuid4().hex[:12]
        self._last_logged = state.get("last_step")
        self._state_path.parent.mkdir(parents=True, exist_ok=True)
        self.run = wandb.init(
            dir=str(self.run_dir),
            mode=self.mode,
            project=self.project,
            group=self.group,
            tags=self.tags,
            name=self.name,
            config=config,
            id=run_id,
            resume="allow",
            reinit="create_new",
            settings=wandb.Settings(silent=not self.verbose),
        )
        self._write_state(run_id)

    def on_episodes(self, step: int, records: list[dict[str, Any]]) -> None:
        if self.run is None:
            return
        self._advance(step)
        from students.plots import task_array

        self._step_episodes.extend(records)
        self._window.extend(task_array([r["task"] for r in records], self.low.size))
        self._since_curriculum_log += len(records)
        self._n_episodes += len(records)
        self._add_table_rows(records)

    def on_metrics(self, step: int, metrics: dict[str, float]) -> None:
        if self.run is None:
            return
        self._advance(step)
        for key, value in metrics.items():
            if key in ("step", "episodes") or not isinstance(value, (int, float, np.number)) or isinstance(value, bool):
                continue
            self._pending[key if "/" in key else f"metrics/{key}"] = float(value)

    def on_evaluation(self, step: int, evaluation: dict[str, Any]) -> None:
        if self.run is None:
            return
        self._advance(step)
        self._evaluation = evaluation

    def on_teacher(self, step: int, episode: int, internals: dict[str, Any]) -> None:
        if self.run is None:
            return
        self._advance(step)
        self._teacher = {"step": step, "episode": episode, "internals": internals or {}}

    def close(self) -> None:
        if self.run is None:
            return
        self._flush(final=True)
        self.run.finish()
        self.run = None

    # ------------------------------------------------------------------ buffering
    def _advance(self, step: int) -> None:
        step = int(step)
        if self._pending_step is None:
            self._pending_step = step
        elif step > self._pending_step:
            self._flush()
            self._pending_step = step
        elif step < self._pending_step and not self._warned_backwards:
            warnings.warn(f"WandbLogger got step {step} after step {self._pending_step}; logging it at "
                          f"step {self._pending_step} (W&B steps cannot go back)", stacklevel=3)
            self._warned_backwards = True

    def _flush(self, final: bool = False) -> None:
        step = self._pending_step
        if step is None:
            return
        if self._last_logged is not None and step <= self._last_logged:
            # already in the W&B history of the interrupted session: W&B would drop it
            self.n_dropped_steps += 1
            self._clear_step()
            if final and self._since_curriculum_log:  # do not lose the last table rows
                self._pending_step = self._last_logged + 1
                self._flush(final=True)
            return
        data = self._pending
        if self._step_episodes:
            data.update(self._episode_scalars(self._step_episodes))
        if self._since_curriculum_log >= self.log_every_episodes or (final and self._since_curriculum_log):
            data.update(self._curriculum_media())
            self._since_curriculum_log = 0
        if self._teacher is not None:
            data.update(self._teacher_media(self._teacher))
        if self._evaluation is not None:
            data.update(self._evaluation_media(self._evaluation))
        if data:
            self.run.log(data, step=step)
            self._last_logged = step
            self._write_state(self.run.id)
        self._clear_step()

    def _clear_step(self) -> None:
        self._pending = {}
        self._step_episodes = []
        self._teacher = None
        self._evaluation = None

    # ------------------------------------------------------------------ content
    def _episode_scalars(self, records: list[dict[str, Any]]) -> dict[str, float]:
        out = {"train/episodes": self._n_episodes}
        for key, name in (("return", "return"), ("score", "score"), ("success", "success_rate"),
                          ("length", "length")):
            vals = [float(r[key]) for r in records if r.get(key) is not None]
            if vals:
                out[f"train/{name}"] = float(np.mean(vals))
        return out

    def _add_table_rows(self, records: list[dict[str, Any]]) -> None:
        import wandb

        if self._table is None:
            columns = ["step", "episode", "env", *self.names, "teacher_task", "score", "return",
                       "length", "success"]
            self._table = wandb.Table(columns=columns, log_mode="INCREMENTAL", allow_mixed_types=True)
        room = self.max_table_rows - len(self._table.data)
        if len(records) > room:
            if room > 0 or not self._table_full_warned:
                warnings.warn(f"the W&B episode table reached max_table_rows={self.max_table_rows}; later "
                              "episodes are only in history.jsonl", stacklevel=3)
                self._table_full_warned = True
            records = records[: max(room, 0)]
        for r in records:
            task = np.atleast_1d(np.asarray(r["task"])).ravel()
            self._table.add_data(
                int(r.get("step", self._pending_step)), r.get("episode"), r.get("env"),
                *[_jsonable(v) for v in task], _jsonable(r.get("teacher_task")),
                _jsonable(r.get("score")), _jsonable(r.get("return")), r.get("length"),
                None if r.get("success") is None else bool(r["success"]),
            )

    def _image(self, fig, caption: str | None = None):
        import wandb

        from students.plots import figure_to_array

        return wandb.Image(figure_to_array(fig), caption=caption)

    def _curriculum_media(self) -> dict[str, Any]:
        import wandb

        from students.plots import plot_sampling_density

        out: dict[str, Any] = {"curriculum/episodes": self._table}
        tasks = np.array(self._window)
        for i, name in enumerate(self.names):
            out[f"curriculum/hist/{name}"] = wandb.Histogram(tasks[:, i], num_bins=min(64, 2 * len(tasks) + 1))
        if self.low.size >= 2:
            fig = plot_sampling_density(tasks, self.low, self.high, self.names, self.dims,
                                        title=f"Last {len(tasks)} episodes")
            out["curriculum/density"] = self._image(fig)
        return out

    def _teacher_media(self, snap: dict[str, Any]) -> dict[str, Any]:
        import wandb

        from students.plots import plot_teacher_internals
        from students.plots.figures import top_arms

        internals = snap["internals"]
        out: dict[str, Any] = {
            f"teacher/{k}": float(v) for k, v in internals.items()
            if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
        }
        gmm = internals.get("gmm")
        if gmm:
            out["teacher/n_components"] = len(gmm.get("means", []))
            if gmm.get("lp"):
                out["teacher/max_lp"] = float(np.max(gmm["lp"]))
        if internals.get("regions") is not None:
            out["teacher/n_regions"] = len(internals["regions"])
            lps = [float(r.get("lp", 0.0)) for r in internals["regions"]]
            if lps:
                out["teacher/max_lp"] = max(lps)
        if internals.get("bounds"):
            for i, name in enumerate(self.names):
                out[f"teacher/bounds/{name}/low"] = float(internals["bounds"]["low"][i])
                out[f"teacher/bounds/{name}/high"] = float(internals["bounds"]["high"][i])
        if internals.get("probabilities") is not None:
            labels, probs, n_arms = top_arms(internals)
            if n_arms <= MAX_ARM_SCALARS:
                for label, p in zip(labels, probs, strict=True):
                    out[f"teacher/prob/{label}"] = float(p)
            table = wandb.Table(data=[[a, float(p)] for a, p in zip(labels, probs, strict=True)],
                                columns=["arm", "probability"])
            out["teacher/probabilities"] = wandb.plot.bar(table, "arm", "probability",
                                                          title="Arm sampling probabilities")
        if internals:
            tasks = np.array(self._window) if self._window else None
            fig = plot_teacher_internals(internals, self.low, self.high, self.names, tasks, self.dims,
                                         title=f"Teacher at step {snap['step']} (episode {snap['episode']})")
            out["teacher/internals"] = self._image(fig)
        return out

    def _evaluation_media(self, ev: dict[str, Any]) -> dict[str, Any]:
        import wandb

        from students.plots import plot_test_set_map

        out: dict[str, Any] = {}
        returns = [float(r) for r in ev.get("returns") or []]
        successes = [bool(s) for s in ev.get("successes") or []]
        if ev.get("mastered_pct") is not None:
            out["eval/mastered_pct"] = float(ev["mastered_pct"])
        if returns:
            out["eval/mean_return"] = float(np.mean(returns))
        if successes:
            out["eval/success_rate"] = float(np.mean(successes))
        if returns and len(returns) == len(self.test_set):
            fig = plot_test_set_map(self.test_set, returns, self.low, self.high, self.names, self.dims,
                                    title=f"Test set at step {ev.get('step', self._pending_step)}")
            out["eval/test_set_map"] = self._image(fig)
            rows = [[*task.tolist(), ret, successes[i] if i < len(successes) else None]
                    for i, (task, ret) in enumerate(zip(self.test_set, returns, strict=True))]
            out["eval/per_task"] = wandb.Table(columns=[*self.names, "return", "success"], data=rows,
                                               allow_mixed_types=True)
        return out

    # ------------------------------------------------------------------ resume state
    def _read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self._state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_state(self, run_id: str) -> None:
        self._state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"id": run_id, "last_step": self._last_logged}), encoding="utf-8")
        os.replace(tmp, self._state_path)
