"""students.plots: reading run directories and the structure of the figures they produce."""

from __future__ import annotations

import warnings

import imageio.v3 as iio
import matplotlib
import numpy as np
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.patches import Ellipse, Rectangle

from students.plots import (
    RunData,
    animate_curriculum,
    curriculum_frames,
    load_run,
    plot_density_over_time,
    plot_learning_curves,
    plot_sampling_density,
    plot_teacher_internals,
    plot_test_set_map,
    render_run,
    sampling_density,
    values_on_grid,
)
from students.plots.figures import LP_CMAP
from students.run_dir import read_jsonl
from tests.fake_runs import HIGH, HOT, LOW, internals_for, make_fake_run, return_of, write_run_dir
from tests.scripts import load_script

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def gmm_dir(tmp_path_factory):
    return write_run_dir(make_fake_run("alp-gmm", n_batches=40), tmp_path_factory.mktemp("gmm"))


def _cell_of(edges, value):
    return int(np.searchsorted(edges, value, side="right") - 1)


# ------------------------------------------------------------------------------ reading
def test_load_run_reads_every_file(gmm_dir):
    fake = make_fake_run("alp-gmm", n_batches=40)
    run = load_run(gmm_dir)
    assert [r["episode"] for r in run.history] == list(range(160))
    assert run.tasks.shape == (160, 2)
    np.testing.assert_allclose(run.tasks, [r["task"] for r in fake.episodes()])
    np.testing.assert_array_equal(run.low, LOW)
    np.testing.assert_array_equal(run.high, HIGH)
    assert run.names == ("gate_x", "gate_width")
    assert run.test_set.shape == (20, 2)
    assert [e["step"] for e in run.evaluations] == [2000, 4000]
    assert len(run.teacher) == 4 and len(run.metrics) == 8
    assert run.teacher_at(2900)["step"] == 3000  # closest in time, before or after
    assert run.evaluation_at(3999)["step"] == 2000


def test_resumed_run_dir_keeps_the_resumed_records(tmp_path):
    fake = make_fake_run("riac", n_batches=40)
    plain = load_run(write_run_dir(fake, tmp_path / "plain"))
    with pytest.warns(UserWarning, match="corrupt line"):  # the crash's cut line, now mid-file
        resumed = load_run(write_run_dir(fake, tmp_path / "resumed", resumed_at=len(fake.events) // 3))
    assert [r["episode"] for r in resumed.history] == [r["episode"] for r in plain.history]
    for name in ("metrics", "evaluations", "teacher"):
        assert [r["step"] for r in getattr(resumed, name)] == [r["step"] for r in getattr(plain, name)]


def test_read_jsonl_ignores_a_trailing_partial_line(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "ta')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_jsonl(path, "step") == [{"step": 1}, {"step": 2}]
    assert read_jsonl(tmp_path / "missing.jsonl") == []


def test_load_run_rejects_a_missing_directory(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_run(tmp_path / "nope")


@pytest.mark.parametrize("content", ['{"tasks": [[0.1, 0.2], [0.3]]}', '{"tasks": 3}', "{not json", '{"other": []}'])
def test_load_run_names_a_damaged_test_set(tmp_path, content):
    run_dir = write_run_dir(make_fake_run("alp-gmm", n_batches=4), tmp_path / "run")
    (run_dir / "test_set.json").write_text(content)
    # The same reader as resume's: the error names the file.
    with pytest.raises(ValueError, match=r"test_set\.json: cannot be read"):
        load_run(run_dir)


# ------------------------------------------------------------------------------ density
def test_density_is_highest_where_tasks_were_sampled(gmm_dir):
    run = load_run(gmm_dir)
    density, (ex, ey) = sampling_density(run.tasks, run.low, run.high, bins=20)
    assert density.sum() == pytest.approx(1.0)
    i, j = np.unravel_index(np.argmax(density), density.shape)
    assert abs(i - _cell_of(ex, HOT[0])) <= 1 and abs(j - _cell_of(ey, HOT[1])) <= 1
    far = density[: _cell_of(ex, 5.0), :]  # nothing sampled with gate_x < 5
    assert far.sum() == 0
    fig = plot_sampling_density(run.tasks, run.low, run.high, run.names, bins=20)
    image = fig.axes[0].images[0]
    np.testing.assert_allclose(image.get_array(), density.T)
    assert image.get_extent() == [0.0, 10.0, 0.0, 4.0]


def test_integer_tasks_get_one_cell_per_integer(tmp_path):
    run = load_run(write_run_dir(make_fake_run("bandit", n_batches=30), tmp_path))
    density, (ex, ey) = sampling_density(run.tasks, run.low, run.high, bins=30)
    np.testing.assert_array_equal(ex, np.arange(-0.5, 5.0))
    np.testing.assert_array_equal(ey, np.arange(-0.5, 4.0))
    assert np.unravel_index(np.argmax(density), density.shape) == (3, 2)  # hot arm ↦ [3, 2]


def test_sampling_density_rejects_bad_dims():
    with pytest.raises(ValueError, match="dims"):
        sampling_density(np.zeros((3, 3)), np.zeros(3), np.ones(3), dims=(0, 0))


# ------------------------------------------------------------------------------ teacher
def test_gmm_overlay_draws_one_2sigma_ellipse_per_component_coloured_by_lp():
    internals = internals_for("alp-gmm", 0)
    gmm = internals["gmm"]
    fig = plot_teacher_internals(internals, LOW, HIGH, ("x", "y"), tasks=np.full((5, 2), HOT))
    ax = fig.axes[0]
    ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == len(gmm["means"])
    for e, mean, cov in zip(ellipses, gmm["means"], gmm["covariances"], strict=True):
        assert e.center == pytest.approx(mean)
        assert sorted([e.width, e.height]) == pytest.approx(sorted(4 * np.sqrt(np.linalg.eigvalsh(cov))))
    cmap, top = matplotlib.colormaps[LP_CMAP], int(np.argmax(gmm["lp"]))
    assert ellipses[top].get_facecolor()[:3] == pytest.approx(cmap(1.0)[:3])
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "absolute learning progress"
    assert any(isinstance(c, PathCollection) for c in ax.collections)  # the sampled tasks


def test_riac_regions_adr_bounds_and_bandit_bars():
    regions = internals_for("riac", 0)["regions"]
    ax = plot_teacher_internals({"regions": regions}, LOW, HIGH).axes[0]
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert [(r.get_x(), r.get_y(), r.get_width(), r.get_height()) for r in rects] == [
        (g["low"][0], g["low"][1], g["high"][0] - g["low"][0], g["high"][1] - g["low"][1]) for g in regions]
    bounds = internals_for("adr", 2)["bounds"]
    (box,) = [p for p in plot_teacher_internals({"bounds": bounds}, LOW, HIGH).axes[0].patches]
    assert (box.get_x(), box.get_width()) == pytest.approx((7.0, 1.2)) and not box.get_fill()
    bandit = internals_for("bandit", 0)
    ax = plot_teacher_internals(bandit, LOW, HIGH).axes[-1]
    assert [b.get_height() for b in ax.patches] == pytest.approx(bandit["probabilities"])
    assert [t.get_text() for t in ax.get_xticklabels()] == bandit["arms"]


# ------------------------------------------------------------------------------ test set
def test_test_set_map_cells_hold_the_per_task_returns():
    fake = make_fake_run("alp-gmm", n_batches=1)
    tasks = np.array(fake.test_set)
    returns = [return_of(x, y, 3) for x, y in tasks]
    fig = plot_test_set_map(tasks, returns, LOW, HIGH)
    (mesh,) = [c for c in fig.axes[0].collections if isinstance(c, QuadMesh)]
    cells = np.asarray(mesh.get_array()).reshape(4, 5)
    xs, ys = np.unique(tasks[:, 0]), np.unique(tasks[:, 1])
    for (x, y), r in zip(tasks, returns, strict=True):
        assert cells[np.searchsorted(ys, y), np.searchsorted(xs, x)] == pytest.approx(r)
    # a non-grid test set is drawn as dots carrying the values
    rng = np.random.default_rng(0)
    scattered = rng.uniform(LOW, HIGH, size=(7, 2))
    fig = plot_test_set_map(scattered, np.arange(7.0), LOW, HIGH)
    (dots,) = fig.axes[0].collections
    np.testing.assert_allclose(dots.get_array(), np.arange(7.0))
    assert values_on_grid(scattered, np.arange(7.0)) is None
    with pytest.raises(ValueError, match="values"):
        plot_test_set_map(tasks, returns[:-1], LOW, HIGH)


def test_learning_curves_show_mastered_pct(gmm_dir):
    run = load_run(gmm_dir)
    ax_m = plot_learning_curves(run).axes[0]
    x, y = ax_m.lines[0].get_data()
    assert list(x) == [e["step"] for e in run.evaluations]
    assert list(y) == pytest.approx([e["mastered_pct"] for e in run.evaluations])


# ------------------------------------------------------------------------------ animation & CLI
def test_animation_has_one_changing_frame_per_window(gmm_dir, tmp_path):
    out = animate_curriculum(gmm_dir, tmp_path / "c.gif", n_frames=4)
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == 4 and frames.shape[-1] in (3, 4)
    assert not np.array_equal(frames[0], frames[-1])
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        animate_curriculum(gmm_dir, tmp_path / "c.avi")


def test_plot_run_script_on_a_resumed_run(tmp_path, capsys):
    fake = make_fake_run("adr", n_batches=25)
    with pytest.warns(UserWarning):
        run_dir = write_run_dir(fake, tmp_path / "run", resumed_at=len(fake.events) // 2)
        written = load_script("plot_run").main([str(run_dir), "--frames", "3"])
    printed = capsys.readouterr().out.split()
    assert printed == [str(p) for p in written]
    names = {p.name for p in written}
    assert {"sampling_density.png", "teacher_internals.png", "test_set_map.png", "learning_curves.png",
            "curriculum.gif"} <= names
    assert all(p.parent == run_dir / "plots" and p.stat().st_size > 1000 for p in written)


def test_render_run_skips_what_the_run_lacks(tmp_path):
    fake = make_fake_run("random", n_batches=12)  # no internals, no evaluation yet
    written = render_run(write_run_dir(fake, tmp_path / "r"), tmp_path / "out", animation=False)
    assert {p.name for p in written} == {"sampling_density.png", "density_over_time.png",
                                         "task_histograms.png", "learning_curves.png"}


def test_one_and_three_dimensional_task_spaces():
    rng = np.random.default_rng(0)
    for d in (1, 3):
        tasks = rng.uniform(0.0, 0.3, (100, d))  # all in the lower 30% of each dimension
        history = [{"episode": i, "step": 10 * i, "task": t.tolist(), "return": 1.0} for i, t in enumerate(tasks)]
        run = RunData(config={"task_space": {"low": [0.0] * d, "high": [1.0] * d}},
                      test_set=np.linspace(0, 1, 4 * d).reshape(4, d), history=history,
                      evaluations=[{"step": 500, "returns": [0.0, 1.0, 2.0, 3.0], "mastered_pct": 25.0}])
        dims = (0, 2) if d == 3 else (0,)
        density, edges = sampling_density(run.tasks, run.low, run.high, dims=dims, bins=10)
        assert density.shape == (10,) * len(dims)
        assert density[(slice(3, None),) * len(dims)].sum() == 0 and density.sum() == pytest.approx(1.0)
        assert len(curriculum_frames(run, n_frames=2, dims=dims if d == 3 else (0, 1))) == 2
        plot_density_over_time(run, dims=dims if d == 3 else (0, 1))
    fig = plot_teacher_internals({"gmm": {"means": [[0.5, 0.5, 0.5, 0.9]], "covariances": [np.eye(4).tolist()],
                                          "weights": [1.0]}}, [0.0] * 3, [1.0] * 3, dims=(1, 2))
    assert len([p for p in fig.axes[0].patches if isinstance(p, Ellipse)]) == 1  # task ⊕ ALP means work


def test_many_arms_show_only_the_most_probable():
    probs = np.full(500, 0.5 / 497)
    probs[[3, 250, 499]] = [0.2, 0.2, 0.1]
    ax = plot_teacher_internals({"probabilities": probs.tolist()}, LOW, HIGH).axes[-1]
    assert len(ax.patches) == 64
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert {"3", "250", "499"} <= set(labels) and labels == sorted(labels, key=int)
    assert "of 500" in ax.get_xlabel()
