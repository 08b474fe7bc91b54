"""A user's own env module, as in docs/custom-env.md: importing it registers the id.

Used by tests/test_envs_wrapper.py through ``--env custom_task_env:teachrl-test/Pendulum-v0``
style ids (the run loop, and each SubprocVecEnv worker, import the module).
"""

import envs
from envs import TaskParameter

envs.register_task_env(
    "teachrl-test/Pendulum-v0", "Pendulum-v1",
    [TaskParameter("gravity", 2.0, 20.0, "g"), TaskParameter("mass", 0.5, 2.0, "m")],
    success=-200.0,
)
