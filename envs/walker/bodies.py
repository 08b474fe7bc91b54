"""Walker embodiments: declarative body specs and their Box2D construction.

A body is a hull with legs; each leg is an upper and a lower segment joined to the hull (hip)
and to each other (knee) by motorised revolute joints, as in BipedalWalker. Each leg gives 5
proprioceptive values (hip angle, hip speed, knee angle, knee speed, foot contact) and takes
2 actions (hip and knee torque in ``[-1, 1]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from Box2D.b2 import fixtureDef, polygonShape, revoluteJointDef

from envs.walker.terrain import SCALE

__all__ = ["BODIES", "BodySpec", "LegSpec", "Walker"]

WALKER_CATEGORY = 0x0020


@dataclass(frozen=True)
class LegSpec:
    """A leg pair's geometry (metres): hip anchor on the hull and segment sizes."""

    hip_x: float
    hip_y: float
    upper: tuple[float, float]  # (width, height)
    lower: tuple[float, float]
    hip_limits: tuple[float, float] = (-0.8, 1.1)
    knee_limits: tuple[float, float] = (-1.6, -0.1)


@dataclass(frozen=True)
class BodySpec:
    """A walker: hull polygon (metres), and legs. Every :class:`LegSpec` is a *pair* of legs."""

    name: str
    hull: tuple[tuple[float, float], ...]
    leg_pairs: tuple[LegSpec, ...]
    motor_torque: float = 80.0
    hip_speed: float = 4.0
    knee_speed: float = 6.0
    hull_density: float = 5.0

    @property
    def n_legs(self) -> int:
        return 2 * len(self.leg_pairs)

    @property
    def leg_length(self) -> float:
        return max(p.upper[1] + p.lower[1] for p in self.leg_pairs)


def _px(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    return tuple((x / SCALE, y / SCALE) for x, y in points)


_BIPED_HULL = _px([(-30, 9), (6, 9), (34, 1), (34, -8), (-30, -8)])
_LEG_W, _LEG_H = 8 / SCALE, 34 / SCALE

#: The embodiments of Stump Tracks, by name.
BODIES: dict[str, BodySpec] = {
    "default": BodySpec(
        name="default",
        hull=_BIPED_HULL,
        leg_pairs=(LegSpec(0.0, -8 / SCALE, (_LEG_W, _LEG_H), (0.8 * _LEG_W, _LEG_H)),),
    ),
    # Legs 60% as long: stumps are relatively taller for it.
    "short": BodySpec(
        name="short",
        hull=_BIPED_HULL,
        leg_pairs=(LegSpec(0.0, -8 / SCALE, (_LEG_W, 0.6 * _LEG_H), (0.8 * _LEG_W, 0.6 * _LEG_H)),),
    ),
    # A long hull on two leg pairs (front and back).
    "quadruped": BodySpec(
        name="quadruped",
        hull=_px([(-60, 9), (40, 9), (64, 1), (64, -8), (-60, -8)]),
        leg_pairs=(
            LegSpec(-45 / SCALE, -8 / SCALE, (_LEG_W, _LEG_H), (0.8 * _LEG_W, _LEG_H)),
            LegSpec(45 / SCALE, -8 / SCALE, (_LEG_W, _LEG_H), (0.8 * _LEG_W, _LEG_H)),
        ),
        hull_density=4.0,
    ),
}


def _box_fixture(width: float, height: float, density: float) -> fixtureDef:
    return fixtureDef(
        shape=polygonShape(box=(width / 2, height / 2)),
        density=density,
        restitution=0.0,
        categoryBits=WALKER_CATEGORY,
        maskBits=0x0001,  # collide with the terrain only
    )


class Walker:
    """A body built in a Box2D world from a :class:`BodySpec`.

    :param world: the ``b2World``.
    :param spec: the body.
    :param x: hull position (m).
    :param y: hull position (m).
    """

    def __init__(self, world, spec: BodySpec, x: float, y: float) -> None:
        self.world = world
        self.spec = spec
        self.hull = world.CreateDynamicBody(
            position=(x, y),
            fixtures=fixtureDef(
                shape=polygonShape(vertices=list(spec.hull)),
                density=spec.hull_density,
                friction=0.1,
                categoryBits=WALKER_CATEGORY,
                maskBits=0x0001,
                restitution=0.0,
            ),
        )
        self.segments = []  # (upper, lower) bodies, for drawing
        self.hips = []
        self.knees = []
        self.feet = []  # lower segments, whose ground contact is observed
        for pair in spec.leg_pairs:
            for side in (-1, +1):
                self._add_leg(pair, side, x, y)
        self.foot_contact = [False] * len(self.feet)

    def _add_leg(self, pair: LegSpec, side: int, x: float, y: float) -> None:
        (uw, uh), (lw, lh) = pair.upper, pair.lower
        hx = x + pair.hip_x
        upper = self.world.CreateDynamicBody(
            position=(hx, y - pair.hip_y - uh / 2), angle=side * 0.05, fixtures=_box_fixture(uw, uh, 1.0)
        )
        hip = self.world.CreateJoint(
            revoluteJointDef(
                bodyA=self.hull, bodyB=upper,
                localAnchorA=(pair.hip_x, pair.hip_y), localAnchorB=(0, uh / 2),
                enableMotor=True, enableLimit=True, maxMotorTorque=self.spec.motor_torque,
                motorSpeed=float(side), lowerAngle=pair.hip_limits[0], upperAngle=pair.hip_limits[1],
            )
        )
        lower = self.world.CreateDynamicBody(
            position=(hx, y - pair.hip_y - uh - lh / 2), angle=side * 0.05, fixtures=_box_fixture(lw, lh, 1.0)
        )
        knee = self.world.CreateJoint(
            revoluteJointDef(
                bodyA=upper, bodyB=lower,
                localAnchorA=(0, -uh / 2), localAnchorB=(0, lh / 2),
                enableMotor=True, enableLimit=True, maxMotorTorque=self.spec.motor_torque,
                motorSpeed=1.0, lowerAngle=pair.knee_limits[0], upperAngle=pair.knee_limits[1],
            )
        )
        self.segments.append((upper, lower))
        self.hips.append(hip)
        self.knees.append(knee)
        self.feet.append(lower)

    @property
    def action_dim(self) -> int:
        return 2 * len(self.hips)

    @property
    def bodies(self) -> list:
        return [b for seg in self.segments for b in seg] + [self.hull]

    def apply_action(self, action) -> float:
        """Set motor torques from ``action`` (hip, knee per leg); return ``sum(|a|)`` (clipped)."""
        spec = self.spec
        total = 0.0
        for i, (hip, knee) in enumerate(zip(self.hips, self.knees, strict=True)):
            for joint, a, speed in ((hip, float(action[2 * i]), spec.hip_speed),
                                    (knee, float(action[2 * i + 1]), spec.knee_speed)):
                mag = min(abs(a), 1.0)
                joint.motorSpeed = math.copysign(speed, a) if a != 0.0 else 0.0
                joint.maxMotorTorque = spec.motor_torque * mag
                total += mag
        return total

    def proprioception(self) -> list[float]:
        """Hull angle, angular velocity, velocity (x, y), then 5 values per leg (normalized)."""
        spec = self.spec
        vel = self.hull.linearVelocity
        state = [
            self.hull.angle,
            2.0 * self.hull.angularVelocity / 50.0,
            0.3 * vel.x * (600 / SCALE) / 50.0,
            0.3 * vel.y * (400 / SCALE) / 50.0,
        ]
        for i, (hip, knee) in enumerate(zip(self.hips, self.knees, strict=True)):
            state += [
                hip.angle,
                hip.speed / spec.hip_speed,
                knee.angle + 1.0,
                knee.speed / spec.knee_speed,
                1.0 if self.foot_contact[i] else 0.0,
            ]
        return state
