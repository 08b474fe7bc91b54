"""Procedural, parameterized gymnasium environments (the env contract is in :mod:`envs.base`).

Importing this package registers every env with gymnasium::

    import gymnasium, envs
    env = gymnasium.make("teachrl/PointGate-v0")
    env.unwrapped.set_task({"gate_position": 1.0, "gate_width": 0.5})
"""

from gymnasium.envs.registration import register, registry

from envs.base import ParameterizedEnv, make_task_space
from envs.bodies import BODIES, body_names, get_body
from envs.check import CHECKS, TaskEnvCheckError, check_task_env
from envs.wrapper import SuccessRule, TaskParameter, TaskWrapper, register_task_env

__all__ = [
    "BODIES", "CHECKS", "ENV_IDS", "ParameterizedEnv", "SuccessRule", "TaskEnvCheckError", "TaskParameter",
    "TaskWrapper", "body_names", "check_task_env", "get_body", "make_task_space", "register_task_env",
]

#: env id -> (entry point, max_episode_steps, default kwargs)
_SPECS: dict[str, tuple[str, int, dict]] = {
    "teachrl/PointGate-v0": ("envs.point_gate:PointGateEnv", 100, {"variant": "default"}),
    "teachrl/PointGate-Unfeasible-v0": ("envs.point_gate:PointGateEnv", 100, {"variant": "unfeasible"}),
    "teachrl/PointGate-Trivial-v0": ("envs.point_gate:PointGateEnv", 100, {"variant": "trivial"}),
    "teachrl/StumpTracks-v0": ("envs.stump_tracks:StumpTracksEnv", 2000, {}),
    "teachrl/HexagonTracks-v0": ("envs.hexagon_tracks:HexagonTracksEnv", 2000, {}),
    "teachrl/Parkour-v0": ("envs.parkour.env:ParkourEnv", 2000, {}),
    "teachrl/CartPole-v0": ("envs.classic:CartPole", 500, {}),
    "teachrl/Pendulum-v0": ("envs.classic:Pendulum", 200, {}),
    "teachrl/MountainCarContinuous-v0": ("envs.classic:MountainCarContinuous", 999, {}),
    "teachrl/LunarLander-v0": ("envs.classic:LunarLander", 1000, {}),
}

#: Every env id this package registers.
ENV_IDS: tuple[str, ...] = (*_SPECS, "teachrl/Acrobot-v0")

for _env_id, (_entry_point, _max_steps, _kwargs) in _SPECS.items():
    if _env_id not in registry:
        register(id=_env_id, entry_point=_entry_point, max_episode_steps=_max_steps, kwargs=_kwargs)

if "teachrl/Acrobot-v0" not in registry:  # a stock env through the wrapper (envs/acrobot.py)
    from envs.acrobot import ACROBOT_PARAMETERS

    register_task_env(
        "teachrl/Acrobot-v0", "Acrobot-v1", ACROBOT_PARAMETERS, success="terminated", max_episode_steps=500
    )
