"""Bodies (embodiments) of the Box2D envs: declarative specs, a registry, and their construction.

- :mod:`envs.bodies.spec`: :class:`BodySpec` and its parts, joints, grip sensors, lidar fan;
- :mod:`envs.bodies.catalog`: every body by name (:data:`BODIES`, :func:`get_body`,
  :func:`body_names`): TeachMyAgent's twelve and teachrl's two earlier walkers;
- :mod:`envs.bodies.body`: :class:`Body`, a spec built in a Box2D world (imports Box2D, so it is
  loaded on first use of ``envs.bodies.Body``).
"""

from envs.bodies.catalog import ALIASES, BODIES, body_names, get_body
from envs.bodies.spec import KINDS, LIDARS, BodySpec, JointSpec, LidarSpec, PartSpec, SensorSpec, px

__all__ = [
    "ALIASES", "BODIES", "KINDS", "LIDARS", "Body", "BodyContactListener", "BodySpec", "FixtureTag", "JointSpec",
    "LidarSpec", "PartSpec", "SensorSpec", "body_names", "get_body", "px",
]

_LAZY = {"Body", "BodyContactListener", "FixtureTag"}


def __getattr__(name: str):
    if name in _LAZY:  # Box2D only when a body is built
        from envs.bodies import body

        return getattr(body, name)
    raise AttributeError(f"module 'envs.bodies' has no attribute {name!r}")
