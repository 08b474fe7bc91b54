"""Figures of a curriculum: pure functions from arrays / run data to matplotlib Figures.

Every ``plot_*`` function returns a new :class:`matplotlib.figure.Figure` (created without
pyplot, so no global figure state is kept: callers need not close them) and never shows it.

Tasks with more than two dimensions are drawn on two of them (``dims``, the first two by
default); integer-valued dimensions get one histogram bin per integer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, Rectangle

from students.plots.rundata import RunData

__all__ = [
    "figure_to_array",
    "has_spatial_internals",
    "top_arms",
    "plot_density_over_time",
    "plot_learning_curves",
    "plot_sampling_density",
    "plot_task_histograms",
    "plot_teacher_internals",
    "plot_test_set_map",
    "sampling_density",
    "values_on_grid",
]

LP_CMAP = "autumn_r"  # teachDeepRL's convention: hot colours = high learning progress


def figure_to_array(fig: Figure) -> np.ndarray:
    """Render ``fig`` to an ``(h, w, 3)`` uint8 RGB array."""
    if fig.canvas is None or not hasattr(fig.canvas, "buffer_rgba"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def _new_figure(width: float = 6.0, height: float = 4.5, layout: str | None = "constrained") -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(width, height), dpi=100, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _check_dims(dims: Sequence[int], d: int) -> tuple[int, ...]:
    dims = tuple(int(i) for i in dims)
    if d >= 2 and (len(dims) != 2 or len(set(dims)) != 2 or not all(0 <= i < d for i in dims)):
        raise ValueError(f"dims must be two distinct task dimensions in [0, {d}), got {dims}")
    return dims if d >= 2 else (0,)


def _edges(lo: float, hi: float, bins: int, values: np.ndarray | None = None) -> np.ndarray:
    """Bin edges on ``[lo, hi]``; one bin per integer for integer-valued data and bounds."""
    integral = values is not None and values.size and np.all(values == np.round(values))
    if integral and float(lo).is_integer() and float(hi).is_integer() and hi - lo + 1 <= bins:
        return np.arange(lo - 0.5, hi + 1.0, 1.0)
    return np.linspace(lo, hi, bins + 1)


def _axis_labels(ax: Axes, names: Sequence[str] | None, dims: Sequence[int]) -> None:
    if names:
        ax.set_xlabel(names[dims[0]])
        if len(dims) > 1:
            ax.set_ylabel(names[dims[1]])


# ---------------------------------------------------------------------------- sampling density
def sampling_density(
    tasks: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    dims: Sequence[int] = (0, 1),
    bins: int = 30,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Fraction of the tasks falling in each cell of a grid over the task space.

    :param tasks: ``(n, d)`` sampled tasks.
    :param low: task-space lower bounds, ``(d,)``.
    :param high: task-space upper bounds, ``(d,)``.
    :param dims: the two dimensions to bin (ignored for 1-D tasks).
    :param bins: cells per dimension (integer dimensions get one cell per integer).
    :return: ``(density, edges)``: ``density[i, j]`` is the fraction of tasks in x-cell ``i``
        and y-cell ``j`` (1-D tasks: ``density[i]``); ``edges`` the cell edges per dimension.
    """
    low, high = np.atleast_1d(low).astype(float), np.atleast_1d(high).astype(float)
    tasks = np.asarray(tasks, dtype=np.float64).reshape(-1, low.size)
    dims = _check_dims(dims, low.size)
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    edges = [_edges(low[i], high[i], bins, tasks[:, i] if len(tasks) else None) for i in dims]
    counts, _ = np.histogramdd(tasks[:, list(dims)].reshape(len(tasks), len(dims)), bins=edges)
    total = counts.sum()
    return (counts / total if total else counts), edges


def _draw_density(ax: Axes, tasks, low, high, names, dims, bins, vmax=None):
    density, edges = sampling_density(tasks, low, high, dims, bins)
    dims = _check_dims(dims, np.atleast_1d(low).size)
    if len(dims) == 1:
        ax.stairs(density, edges[0], fill=True, color="tab:blue")
        ax.set_xlabel(names[0] if names else "task")
        ax.set_ylabel("fraction of episodes")
        return None
    im = ax.imshow(
        density.T,
        origin="lower",
        extent=(edges[0][0], edges[0][-1], edges[1][0], edges[1][-1]),
        aspect="auto",
        cmap="viridis",
        vmin=0.0,
        vmax=vmax,
        interpolation="nearest",
    )
    _axis_labels(ax, names, dims)
    return im


def plot_sampling_density(
    tasks: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    names: Sequence[str] | None = None,
    dims: Sequence[int] = (0, 1),
    bins: int = 30,
    title: str | None = None,
) -> Figure:
    """Heatmap of where the teacher sampled (fraction of episodes per cell).

    The image's array (``fig.axes[0].images[0].get_array()``) is ``density.T`` of
    :func:`sampling_density`, with ``origin="lower"``. 1-D tasks give a histogram.

    :param tasks: ``(n, d)`` sampled tasks.
    :param low: task-space lower bounds.
    :param high: task-space upper bounds.
    :param names: dimension names for the axis labels.
    :param dims: the two dimensions shown when ``d > 2``.
    :param bins: cells per dimension.
    :param title: figure title.
    """
    fig = _new_figure()
    ax = fig.add_subplot()
    im = _draw_density(ax, tasks, low, high, names, dims, bins)
    if im is not None:
        fig.colorbar(im, ax=ax, label="fraction of episodes")
    ax.set_title(title or f"Sampled tasks ({len(tasks)} episodes)")
    return fig


def plot_density_over_time(run: RunData, n_windows: int = 4, dims: Sequence[int] = (0, 1), bins: int = 30) -> Figure:
    """Sampling density in consecutive windows of episodes (equal episode counts).

    For 2-D+ task spaces one heatmap panel per window, on a shared colour scale; for 1-D
    task spaces a single heatmap with training time on x and the task value on y.

    :param run: the run.
    :param n_windows: number of windows (panels; columns of the 1-D heatmap).
    :param dims: the two dimensions shown when ``d > 2``.
    :param bins: cells per dimension.
    """
    if n_windows < 1:
        raise ValueError(f"n_windows must be >= 1, got {n_windows}")
    n = len(run.tasks)
    cuts = np.linspace(0, n, min(n_windows, max(n, 1)) + 1).astype(int)
    chunks = [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    if run.dim == 1:
        fig = _new_figure(7, 4)
        ax = fig.add_subplot()
        cols = [sampling_density(run.tasks[c], run.low, run.high, (0,), bins)[0] for c in chunks]
        edges = sampling_density(run.tasks, run.low, run.high, (0,), bins)[1][0]
        step_edges = [run.steps[c.start] if n else 0 for c in chunks] + [run.steps[-1] if n else 1]
        mesh = ax.pcolormesh(step_edges, edges, np.array(cols).T, cmap="viridis", vmin=0)
        fig.colorbar(mesh, ax=ax, label="fraction of episodes")
        ax.set_xlabel("step")
        ax.set_ylabel(run.names[0])
        ax.set_title("Sampling density over training")
        return fig
    fig = _new_figure(3.2 * len(chunks) + 1.0, 3.4)
    axes = fig.subplots(1, len(chunks), squeeze=False)[0]
    vmax = max(
        (float(sampling_density(run.tasks[c], run.low, run.high, dims, bins)[0].max()) for c in chunks),
        default=1.0,
    ) or 1.0
    im = None
    for ax, c in zip(axes, chunks, strict=True):
        im = _draw_density(ax, run.tasks[c], run.low, run.high, run.names, dims, bins, vmax=vmax)
        if n:
            ax.set_title(f"steps {run.steps[c.start]}–{run.steps[c.stop - 1]}", fontsize=9)
    if im is not None:
        fig.colorbar(im, ax=list(axes), label="fraction of episodes")
    fig.suptitle("Sampling density over training")
    return fig


def plot_task_histograms(
    tasks: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    names: Sequence[str] | None = None,
    bins: int = 30,
    title: str | None = None,
) -> Figure:
    """One histogram of the sampled values per task dimension (4 panels per row).

    :param tasks: ``(n, d)`` sampled tasks.
    :param low: task-space lower bounds.
    :param high: task-space upper bounds.
    :param names: dimension names.
    :param bins: bins per dimension (integer dimensions get one bin per integer).
    :param title: figure title.
    """
    low, high = np.atleast_1d(low).astype(float), np.atleast_1d(high).astype(float)
    tasks = np.asarray(tasks, dtype=np.float64).reshape(-1, low.size)
    d = low.size
    ncols = min(d, 4)
    nrows = -(-d // ncols)
    fig = _new_figure(2.8 * ncols + 0.5, 2.6 * nrows + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i in range(d):
        edges = _edges(low[i], high[i], bins, tasks[:, i] if len(tasks) else None)
        counts, _ = np.histogram(tasks[:, i], bins=edges)
        axes[i].stairs(counts, edges, fill=True, color="tab:blue")
        axes[i].set_xlabel(names[i] if names else f"task_{i}")
    for ax in axes[d:]:
        ax.set_visible(False)
    axes[0].set_ylabel("episodes")
    fig.suptitle(title or f"Sampled tasks per dimension ({len(tasks)} episodes)")
    return fig


# ---------------------------------------------------------------------------- teacher internals
def has_spatial_internals(internals: dict[str, Any] | None) -> bool:
    """Whether a snapshot holds something drawable in the task space."""
    return bool(internals) and any(k in internals for k in ("gmm", "regions", "bounds"))


def _gmm_components(gmm: dict[str, Any], d: int):
    means = np.atleast_2d(np.asarray(gmm.get("means", []), dtype=np.float64))
    if means.size == 0:
        return []
    covs = np.asarray(gmm.get("covariances", []), dtype=np.float64)
    k = means.shape[0]
    covs = covs.reshape(k, means.shape[1], means.shape[1]) if covs.size else np.tile(np.eye(means.shape[1]), (k, 1, 1))
    if gmm.get("lp") is not None:
        lp = np.asarray(gmm["lp"], dtype=np.float64).ravel()
    elif means.shape[1] > d:  # the GMM was fit on task ⊕ ALP: the last coordinate is the ALP
        lp = means[:, d]
    else:
        lp = np.asarray(gmm.get("weights", np.ones(k)), dtype=np.float64).ravel()
    return list(zip(means, covs, lp, strict=True))


def _draw_internals(ax: Axes, internals, low, high, names, tasks, dims):
    """Draw GMM ellipses, RIAC regions, ADR bounds and tasks; return a ScalarMappable or None."""
    d = np.atleast_1d(low).size
    dims = _check_dims(dims, d)
    internals = internals or {}
    comps = _gmm_components(internals["gmm"], d) if internals.get("gmm") else []
    regions = internals.get("regions") or []
    lps = [c[2] for c in comps] + [float(r.get("lp", 0.0)) for r in regions]
    norm = Normalize(vmin=0.0, vmax=max(max(lps, default=0.0), 1e-12))
    cmap = colormaps[LP_CMAP]
    if d == 1:
        x = dims[0]
        if tasks is not None and len(tasks):
            ax.scatter(tasks[:, x], np.arange(len(tasks)), s=4, c="0.45", alpha=0.6, lw=0)
        for region in regions:
            ax.axvspan(region["low"][x], region["high"][x], color=cmap(norm(region.get("lp", 0.0))), alpha=0.4)
        for mean, cov, lp in comps:
            sd = np.sqrt(cov[x, x])
            ax.axvspan(mean[x] - 2 * sd, mean[x] + 2 * sd, color=cmap(norm(lp)), alpha=0.45)
        if internals.get("bounds"):
            for v in (internals["bounds"]["low"][x], internals["bounds"]["high"][x]):
                ax.axvline(v, color="tab:blue", ls="--", lw=2)
        ax.set_xlim(low[x], high[x])
        ax.set_xlabel(names[x] if names else "task")
        ax.set_ylabel("episode in window")
    else:
        x, y = dims
        if tasks is not None and len(tasks):
            ax.scatter(tasks[:, x], tasks[:, y], s=5, c="0.35", alpha=0.5, lw=0, zorder=1)
        for region in regions:
            lo, hi = np.asarray(region["low"], float), np.asarray(region["high"], float)
            ax.add_patch(Rectangle((lo[x], lo[y]), hi[x] - lo[x], hi[y] - lo[y],
                                   facecolor=cmap(norm(region.get("lp", 0.0))), edgecolor="k",
                                   lw=0.5, alpha=0.45, zorder=0))
        for mean, cov, lp in comps:
            sub = cov[np.ix_((x, y), (x, y))]
            vals, vecs = np.linalg.eigh(sub)
            vals = np.clip(vals, 0.0, None)
            angle = np.degrees(np.arctan2(vecs[1, -1], vecs[0, -1]))
            # 2σ ellipse: full axis lengths 2 * 2 * sqrt(eigenvalue)
            ax.add_patch(Ellipse((mean[x], mean[y]), 4 * np.sqrt(vals[-1]), 4 * np.sqrt(vals[0]),
                                 angle=angle, facecolor=cmap(norm(lp)), edgecolor=cmap(norm(lp)),
                                 alpha=0.5, lw=1.5, zorder=2))
        if internals.get("bounds"):
            lo = np.asarray(internals["bounds"]["low"], float)
            hi = np.asarray(internals["bounds"]["high"], float)
            ax.add_patch(Rectangle((lo[x], lo[y]), hi[x] - lo[x], hi[y] - lo[y], fill=False,
                                   edgecolor="tab:blue", ls="--", lw=2, zorder=3, label="ADR bounds"))
        ax.set_xlim(low[x], high[x])
        ax.set_ylim(low[y], high[y])
        _axis_labels(ax, names, dims)
    if not lps:
        return None
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=cmap)


MAX_BARS = 64  # more arms than this: only the most probable ones get a bar


def top_arms(internals: dict[str, Any], k: int = MAX_BARS) -> tuple[list[str], np.ndarray, int]:
    """Labels and probabilities of the (at most ``k``) most probable arms, in arm order.

    :return: ``(labels, probabilities, n_arms)``.
    """
    probs = np.asarray(internals["probabilities"], dtype=np.float64).ravel()
    arms = internals.get("arms")
    labels = [str(a) for a in arms] if arms is not None and len(arms) == len(probs) else [
        str(i) for i in range(len(probs))]
    keep = np.arange(len(probs)) if len(probs) <= k else np.sort(np.argsort(-probs, kind="stable")[:k])
    return [labels[i] for i in keep], probs[keep], len(probs)


def _draw_probabilities(ax: Axes, internals) -> None:
    labels, probs, n = top_arms(internals)
    ax.bar(np.arange(len(probs)), probs, color="tab:orange")
    ax.set_xticks(np.arange(len(probs)), labels, rotation=90 if len(probs) > 8 else 0, fontsize=7)
    ax.set_ylim(0, max(float(probs.max(initial=0.0)) * 1.1, 1e-9))
    ax.set_xlabel("arm" if len(probs) == n else f"arm (the {len(probs)} most probable of {n})")
    ax.set_ylabel("sampling probability")


def plot_teacher_internals(
    internals: dict[str, Any] | None,
    low: np.ndarray,
    high: np.ndarray,
    names: Sequence[str] | None = None,
    tasks: np.ndarray | None = None,
    dims: Sequence[int] = (0, 1),
    title: str | None = None,
) -> Figure:
    """What the teacher believes, drawn over the tasks it sampled.

    - ``"gmm"``: one 2σ ellipse per Gaussian (on ``dims``), coloured by its ``lp`` (colorbar);
    - ``"regions"``: RIAC boxes coloured by ``lp``;
    - ``"bounds"``: the ADR box, dashed;
    - ``"probabilities"``: a bar chart of the arm probabilities in a second panel.

    :param internals: a :meth:`teachers.Teacher.internals` snapshot (raw task units).
    :param low: task-space lower bounds.
    :param high: task-space upper bounds.
    :param names: dimension names.
    :param tasks: ``(n, d)`` recently sampled tasks, drawn as grey dots.
    :param dims: the two dimensions shown when ``d > 2``.
    :param title: figure title.
    """
    internals = internals or {}
    bars = internals.get("probabilities") is not None
    spatial = has_spatial_internals(internals) or not bars
    fig = _new_figure(6.0 * (spatial + bars) - (1.0 if bars and spatial else 0.0), 4.5)
    axes = fig.subplots(1, spatial + bars, squeeze=False)[0]
    if spatial:
        tasks = None if tasks is None else np.asarray(tasks, dtype=np.float64).reshape(-1, np.size(low))
        mappable = _draw_internals(axes[0], internals, np.atleast_1d(low), np.atleast_1d(high), names, tasks, dims)
        if mappable is not None:
            fig.colorbar(mappable, ax=axes[0], label="absolute learning progress")
    if bars:
        _draw_probabilities(axes[-1], internals)
    fig.suptitle(title or "Teacher internals")
    return fig


# ---------------------------------------------------------------------------- test set map
def values_on_grid(
    test_tasks: np.ndarray, values: Sequence[float], dims: Sequence[int] = (0, 1)
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Arrange per-task values on the test set's grid, if it is one.

    The test set is a grid over ``dims`` when (#distinct x) × (#distinct y) ≤ #tasks. Tasks
    sharing a cell (other dimensions differ) are averaged.

    :return: ``(xs, ys, grid)`` with ``grid[j, i]`` the value at ``(xs[i], ys[j])`` (NaN for an
        empty cell), or ``None`` when the tasks are not on a grid.
    """
    test_tasks = np.asarray(test_tasks, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    x, y = test_tasks[:, dims[0]], test_tasks[:, dims[1]]
    xs, xi = np.unique(x, return_inverse=True)
    ys, yi = np.unique(y, return_inverse=True)
    if len(xs) * len(ys) > len(test_tasks):
        return None
    sums = np.zeros((len(ys), len(xs)))
    counts = np.zeros((len(ys), len(xs)))
    np.add.at(sums, (yi, xi), values)
    np.add.at(counts, (yi, xi), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return xs, ys, np.where(counts > 0, sums / counts, np.nan)


def _cell_edges(centers: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if len(centers) == 1:
        return np.array([lo, hi]) if lo < centers[0] < hi else centers[0] + np.array([-0.5, 0.5])
    mid = (centers[1:] + centers[:-1]) / 2
    return np.concatenate([[centers[0] - (mid[0] - centers[0])], mid, [centers[-1] + (centers[-1] - mid[-1])]])


def _draw_test_map(ax: Axes, test_tasks, values, low, high, names, dims, label, vmin=None, vmax=None):
    test_tasks = np.asarray(test_tasks, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    d = test_tasks.shape[1]
    dims = _check_dims(dims, d)
    if d == 1:
        order = np.argsort(test_tasks[:, 0])
        ax.plot(test_tasks[order, 0], values[order], "o-", color="tab:green")
        ax.set_xlabel(names[0] if names else "task")
        ax.set_ylabel(label)
        ax.set_xlim(low[0], high[0])
        return None
    grid = values_on_grid(test_tasks, values, dims)
    if grid is not None:
        xs, ys, cells = grid
        artist = ax.pcolormesh(_cell_edges(xs, low[dims[0]], high[dims[0]]),
                               _cell_edges(ys, low[dims[1]], high[dims[1]]),
                               np.ma.masked_invalid(cells), cmap="RdYlGn", vmin=vmin, vmax=vmax)
    else:
        artist = ax.scatter(test_tasks[:, dims[0]], test_tasks[:, dims[1]], c=values, cmap="RdYlGn",
                            vmin=vmin, vmax=vmax, s=40, edgecolors="k", linewidths=0.3)
        ax.set_xlim(low[dims[0]], high[dims[0]])
        ax.set_ylim(low[dims[1]], high[dims[1]])
    _axis_labels(ax, names, dims)
    return artist


def plot_test_set_map(
    test_tasks: np.ndarray,
    values: Sequence[float],
    low: np.ndarray,
    high: np.ndarray,
    names: Sequence[str] | None = None,
    dims: Sequence[int] = (0, 1),
    label: str = "return",
    title: str | None = None,
) -> Figure:
    """Per-task evaluation results over the task space.

    A grid test set (see :func:`values_on_grid`) is drawn as a heatmap (a ``pcolormesh``
    whose cell values are the per-task values); any other test set as coloured dots; a 1-D
    one as a curve.

    :param test_tasks: ``(n, d)`` test tasks.
    :param values: one value per test task (return, or success as 0/1).
    :param low: task-space lower bounds.
    :param high: task-space upper bounds.
    :param names: dimension names.
    :param dims: the two dimensions shown when ``d > 2``.
    :param label: colorbar label.
    :param title: figure title.
    """
    test_tasks = np.asarray(test_tasks, dtype=np.float64).reshape(len(test_tasks), -1)
    if len(values) != len(test_tasks):
        raise ValueError(f"got {len(values)} values for {len(test_tasks)} test tasks")
    fig = _new_figure()
    ax = fig.add_subplot()
    artist = _draw_test_map(ax, test_tasks, values, np.atleast_1d(low), np.atleast_1d(high), names, dims, label)
    if artist is not None:
        fig.colorbar(artist, ax=ax, label=label)
    ax.set_title(title or f"Test set: {label} per task")
    return fig


# ---------------------------------------------------------------------------- learning curves
def _rolling_mean(x: np.ndarray, window: int) -> np.ndarray:
    if len(x) == 0:
        return x
    window = max(1, min(window, len(x)))
    c = np.cumsum(np.insert(x, 0, 0.0))
    out = (c[window:] - c[:-window]) / window
    return np.concatenate([np.cumsum(x[: window - 1]) / np.arange(1, window), out])


def plot_learning_curves(run: RunData, window: int = 50) -> Figure:
    """% of the test set mastered, and test / training returns, against environment steps.

    :param run: the run.
    :param window: episodes in the rolling mean of training returns.
    """
    fig = _new_figure(10, 4)
    ax_m, ax_r = fig.subplots(1, 2)
    ev_steps = np.array([e.get("step", 0) for e in run.evaluations])
    if run.evaluations:
        ax_m.plot(ev_steps, [e.get("mastered_pct", np.nan) for e in run.evaluations], "o-", color="tab:green")
        ax_r.plot(ev_steps, [np.mean(e["returns"]) if e.get("returns") else np.nan for e in run.evaluations],
                  "o-", color="tab:green", label="test set (mean)")
    ax_m.set_xlabel("step")
    ax_m.set_ylabel("% of test set mastered")
    ax_m.set_ylim(-2, 102)
    ax_m.set_title("Mastered")
    if len(run.returns):
        ax_r.scatter(run.steps, run.returns, s=2, c="0.7", lw=0)
        ax_r.plot(run.steps, _rolling_mean(run.returns, window), color="tab:blue",
                  label=f"training (mean of {window} episodes)")
    ax_r.set_xlabel("step")
    ax_r.set_ylabel("episode return")
    ax_r.set_title("Returns")
    if run.evaluations or len(run.returns):
        ax_r.legend(fontsize=8)
    return fig
