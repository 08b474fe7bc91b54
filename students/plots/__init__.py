"""Local plots of a run: figures of the curriculum, the teacher's internals and the test set.

Everything here reads the run directory formats of ``students/loggers.py`` and needs neither
wandb nor the training code::

    from students.plots import load_run, render_run
    render_run("runs/my_run")              # PNGs + curriculum.gif under runs/my_run/plots/

The ``plot_*`` functions take arrays (or a :class:`RunData`) and return matplotlib Figures,
so the W&B logger draws the same pictures from in-memory records.
"""

from students.plots.figures import (
    figure_to_array,
    has_spatial_internals,
    plot_density_over_time,
    plot_learning_curves,
    plot_sampling_density,
    plot_task_histograms,
    plot_teacher_internals,
    plot_test_set_map,
    sampling_density,
    values_on_grid,
)
from students.plots.render import animate_curriculum, curriculum_frames, render_run
from students.plots.rundata import RunData, load_run, task_array

__all__ = [
    "RunData",
    "animate_curriculum",
    "curriculum_frames",
    "figure_to_array",
    "has_spatial_internals",
    "load_run",
    "plot_density_over_time",
    "plot_learning_curves",
    "plot_sampling_density",
    "plot_task_histograms",
    "plot_teacher_internals",
    "plot_test_set_map",
    "render_run",
    "sampling_density",
    "task_array",
    "values_on_grid",
]
