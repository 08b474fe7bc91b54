"""``teachrl/Acrobot-v0``: gymnasium's ``Acrobot-v1`` through :class:`envs.TaskWrapper`.

The example of declaring a stock env's parameters. Task ``(link_length_1, link_length_2,
link_mass_1, link_mass_2)``, each in ``[0.5, 1.5]`` (half to one and a half times gymnasium's
1 m and 1 kg); the torque limit stays 1, so long heavy links are harder to swing up.

- The masses are applied by attribute name: ``LINK_MASS_1``/``LINK_MASS_2`` are class attributes
  of ``AcrobotEnv``, shadowed per instance.
- The lengths are applied by a callable, :func:`set_link_length`: gymnasium's dynamics place each
  link's center of mass at ``LINK_COM_POS_i`` (0.5 m) whatever ``LINK_LENGTH_i`` is, and do not
  read ``LINK_LENGTH_2`` at all, so a length alone would change little; the callable also puts
  the center of mass at mid-link (a uniform rod, as the defaults are).
- Success: the episode terminated (gymnasium's rule: ``-cos(t1) - cos(t1 + t2) > 1``, the swing
  height of unit links, unchanged) before the 500-step limit.
"""

from __future__ import annotations

import functools

import gymnasium as gym

from envs.wrapper import TaskParameter

__all__ = ["ACROBOT_PARAMETERS", "set_link_length"]


def set_link_length(env: gym.Env, value: float, link: int) -> None:
    """Set ``LINK_LENGTH_<link>`` and its center of mass (mid-link) on the ``AcrobotEnv`` instance.

    :param env: the ``AcrobotEnv`` (``env.unwrapped`` of the wrapper).
    :param value: the link length in metres.
    :param link: 1 or 2.
    """
    setattr(env, f"LINK_LENGTH_{link}", value)
    setattr(env, f"LINK_COM_POS_{link}", value / 2.0)


ACROBOT_PARAMETERS: tuple[TaskParameter, ...] = (
    TaskParameter("link_length_1", 0.5, 1.5, functools.partial(set_link_length, link=1), default=1.0),
    TaskParameter("link_length_2", 0.5, 1.5, functools.partial(set_link_length, link=2), default=1.0),
    TaskParameter("link_mass_1", 0.5, 1.5, "LINK_MASS_1"),
    TaskParameter("link_mass_2", 0.5, 1.5, "LINK_MASS_2"),
)
