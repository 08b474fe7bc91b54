"""Whole-run outputs: the curriculum animation and every figure of a run as files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from students.plots.figures import (
    _draw_density,
    _draw_internals,
    _draw_probabilities,
    _draw_test_map,
    _new_figure,
    figure_to_array,
    has_spatial_internals,
    plot_density_over_time,
    plot_learning_curves,
    plot_sampling_density,
    plot_task_histograms,
    plot_teacher_internals,
    plot_test_set_map,
)
from students.plots.rundata import RunData, load_run

__all__ = ["animate_curriculum", "curriculum_frames", "render_run"]


def _as_run(run: RunData | str | Path) -> RunData:
    return run if isinstance(run, RunData) else load_run(run)


def curriculum_frames(
    run: RunData | str | Path,
    n_frames: int = 30,
    dims: Sequence[int] = (0, 1),
    bins: int = 30,
    dpi: int = 72,
) -> list[np.ndarray]:
    """RGB frames of the curriculum over training.

    The episodes are cut into ``n_frames`` consecutive windows of equal size. Each frame
    shows the tasks of one window under the teacher snapshot closest in time to the window's
    last episode (or, without snapshots, the window's sampling density) and, when the run has
    evaluations, the test-set map of the last evaluation made by then (common colour scale).

    :param run: a run directory or loaded :class:`RunData`.
    :param n_frames: number of frames (fewer when the run has fewer episodes).
    :param dims: the two dimensions shown when ``d > 2``.
    :param bins: cells per dimension of the density panel.
    :param dpi: resolution of the frames.
    """
    run = _as_run(run)
    n = len(run.tasks)
    if n == 0:
        raise ValueError(f"run {run.run_dir} has no episodes to animate")
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    cuts = np.linspace(0, n, min(n_frames, n) + 1).astype(int)
    evals = [e for e in run.evaluations if e.get("returns")]
    vmin = min((min(e["returns"]) for e in evals), default=None)
    vmax = max((max(e["returns"]) for e in evals), default=None)
    show_test = bool(evals) and len(run.test_set) == len(evals[0]["returns"])
    frames = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        step = int(run.steps[b - 1])
        snap = run.teacher_at(step)
        internals = (snap or {}).get("internals") or {}
        bars = internals.get("probabilities") is not None
        ncols = 1 + bars + show_test
        # a fixed layout: every frame has the same geometry, and it is much faster to draw
        fig = _new_figure(4.6 * ncols, 3.8, layout=None)
        fig.set_dpi(dpi)
        fig.subplots_adjust(left=0.09, right=0.97, bottom=0.14, top=0.84, wspace=0.6)
        axes = list(fig.subplots(1, ncols, squeeze=False)[0])
        ax = axes.pop(0)
        if has_spatial_internals(internals):
            mappable = _draw_internals(ax, internals, run.low, run.high, run.names, run.tasks[a:b], dims)
            if mappable is not None:
                fig.colorbar(mappable, ax=ax, label="ALP")
            ax.set_title(f"teacher at step {snap['step']}", fontsize=9)
        else:
            im = _draw_density(ax, run.tasks[a:b], run.low, run.high, run.names, dims, bins)
            if im is not None:
                fig.colorbar(im, ax=ax, label="fraction")
            ax.set_title("sampled tasks", fontsize=9)
        if bars:
            _draw_probabilities(axes.pop(0), internals)
        if show_test:
            ax_t = axes.pop(0)
            ev = run.evaluation_at(step)
            if ev is not None and ev.get("returns"):
                artist = _draw_test_map(ax_t, run.test_set, ev["returns"], run.low, run.high, run.names,
                                        dims, "return", vmin=vmin, vmax=vmax)
                if artist is not None:
                    fig.colorbar(artist, ax=ax_t, label="return")
                ax_t.set_title(f"test set at step {ev['step']} ({ev.get('mastered_pct', 0):.0f}% mastered)",
                               fontsize=9)
            else:
                ax_t.set_axis_off()
                ax_t.set_title("test set: no evaluation yet", fontsize=9)
        fig.suptitle(f"episodes {a + 1}–{b}, steps {run.steps[a]}–{step}")
        frames.append(figure_to_array(fig))
    return frames


def animate_curriculum(
    run: RunData | str | Path,
    out_path: str | Path,
    n_frames: int = 30,
    fps: float = 3.0,
    dims: Sequence[int] = (0, 1),
    dpi: int = 72,
) -> Path:
    """Write an animation of the curriculum over training (see :func:`curriculum_frames`).

    :param run: a run directory or loaded :class:`RunData`.
    :param out_path: ``.gif`` (always available) or ``.mp4`` (needs ``imageio-ffmpeg``).
    :param n_frames: number of frames.
    :param fps: frames per second.
    :param dims: the two dimensions shown when ``d > 2``.
    :param dpi: resolution of the frames.
    :return: ``out_path``.
    """
    import imageio.v3 as iio

    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"animation path must end in .gif or .mp4, got {str(out_path)!r}")
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    frames = curriculum_frames(run, n_frames=n_frames, dims=dims, dpi=dpi)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gif":
        iio.imwrite(out_path, np.stack(frames), duration=1000.0 / fps, loop=0)
    else:
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError as err:
            raise ValueError("writing .mp4 needs the imageio-ffmpeg package; use a .gif path") from err
        # even frame sizes for the H.264 encoder
        h, w = (s - s % 2 for s in frames[0].shape[:2])
        iio.imwrite(out_path, np.stack([f[:h, :w] for f in frames]), fps=fps, codec="libx264")
    return out_path


def render_run(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    dims: Sequence[int] = (0, 1),
    animation: bool = True,
    n_frames: int = 30,
) -> list[Path]:
    """Write every figure of a run as PNG, and the curriculum GIF.

    Files (each only when the run has the data): ``sampling_density.png`` (all episodes),
    ``density_over_time.png``, ``task_histograms.png``, ``teacher_internals.png`` (last
    snapshot over the last 10% of episodes), ``test_set_map.png`` and
    ``test_set_success.png`` (last evaluation), ``learning_curves.png``, ``curriculum.gif``.

    :param run_dir: the run directory.
    :param out_dir: where to write (default ``<run_dir>/plots``).
    :param dims: the two task dimensions shown when ``d > 2``.
    :param animation: whether to write the GIF (the slowest output).
    :param n_frames: frames of the GIF.
    :return: the paths written.
    """
    run = load_run(run_dir)
    out = Path(out_dir) if out_dir is not None else Path(run_dir) / "plots"
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig, name):
        path = out / name
        fig.savefig(path, dpi=100)
        written.append(path)

    n = len(run.tasks)
    if n:
        save(plot_sampling_density(run.tasks, run.low, run.high, run.names, dims), "sampling_density.png")
        save(plot_density_over_time(run, dims=dims), "density_over_time.png")
        save(plot_task_histograms(run.tasks, run.low, run.high, run.names), "task_histograms.png")
    snaps = [s for s in run.teacher if s.get("internals")]
    if snaps:
        last = snaps[-1]
        recent = run.tasks[int(0.9 * n):] if n else None
        save(plot_teacher_internals(last["internals"], run.low, run.high, run.names, recent, dims,
                                    title=f"Teacher at step {last['step']} (episode {last.get('episode')})"),
             "teacher_internals.png")
    evals = [e for e in run.evaluations if e.get("returns")]
    if evals and len(evals[-1]["returns"]) == len(run.test_set):
        ev = evals[-1]
        save(plot_test_set_map(run.test_set, ev["returns"], run.low, run.high, run.names, dims,
                               title=f"Test set at step {ev['step']}: return per task"), "test_set_map.png")
        if ev.get("successes") is not None and len(ev["successes"]) == len(run.test_set):
            save(plot_test_set_map(run.test_set, np.asarray(ev["successes"], float), run.low, run.high,
                                   run.names, dims, label="success",
                                   title=f"Test set at step {ev['step']}: success per task"),
                 "test_set_success.png")
    if n or run.evaluations:
        save(plot_learning_curves(run), "learning_curves.png")
    if animation and n:
        written.append(animate_curriculum(run, out / "curriculum.gif", n_frames=n_frames, dims=dims))
    return written
