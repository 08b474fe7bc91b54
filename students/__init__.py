"""teachrl students: the stable-baselines3 side of the curriculum loop.

- :mod:`students.curriculum`: :class:`~students.curriculum.CurriculumVecEnv` (teacher-driven
  tasks on SB3 vector envs) and :class:`~students.curriculum.AdvantageCallback`.
- :mod:`students.train`: :func:`~students.train.run_curriculum`, one resumable run.
- :mod:`students.config`: :class:`~students.config.RunConfig`.
- :mod:`students.evaluation`: fixed test sets and :class:`~students.evaluation.TaskEvaluator`.
- :mod:`students.run_dir`, :mod:`students.checkpoint`, :mod:`students.loggers`: run directory,
  checkpoints and the logger interface.
- :mod:`students.testing`: a task-echo env and a recording teacher for tests.
- :mod:`students.simulated`: numpy-only simulated students (no torch, no SB3).
- :mod:`students.experiments`: sweeps of many runs and their reports.
- :mod:`students.plots`: pictures of a run directory.

Submodules are imported explicitly (``from students.train import run_curriculum``) so that
``import students`` stays free of torch.
"""
