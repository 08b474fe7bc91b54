"""Declarative body specs: rigid parts, revolute joints (motorised or passive) and grip sensors.

A :class:`BodySpec` says *what* a body is; :class:`envs.bodies.Body` builds it in a Box2D
world. Every length is in metres (TeachMyAgent writes its bodies in pixels, ``SCALE = 30``
pixels per metre: :func:`px` converts), every position is relative to the body's origin (the
point the env places at the start position), and the world's y axis points up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "KINDS",
    "LIDARS",
    "SCALE",
    "BodySpec",
    "JointSpec",
    "LidarSpec",
    "PartSpec",
    "SensorSpec",
    "px",
]

#: Pixels per metre of TeachMyAgent's (and BipedalWalker's) body definitions.
SCALE = 30.0

#: The kinds of body: where each can live (TeachMyAgent's ``BodyTypesEnum``).
KINDS: tuple[str, ...] = ("walker", "climber", "swimmer", "amphibian")

Point = tuple[float, float]


def px(*points: Point) -> tuple[Point, ...]:
    """Pixel coordinates to metres (``/ SCALE``)."""
    return tuple((x / SCALE, y / SCALE) for x, y in points)


@dataclass(frozen=True)
class LidarSpec:
    """A fan of lidar rays: ray ``i`` of ``n`` points at ``span * i / n + offset`` radians from
    straight down, towards the front (TeachMyAgent's ``lidar_angle`` / ``lidar_y_offset``)."""

    span: float
    offset: float = 0.0

    def rays(self, count: int, length: float) -> list[tuple[float, float]]:
        """The ``count`` rays' ``(dx, dy)`` vectors of the given length (metres)."""
        angles = [self.span * i / count + self.offset for i in range(count)]
        return [(math.sin(a) * length, -math.cos(a) * length) for a in angles]


#: TeachMyAgent Parkour's lidar configurations per kind: ``"down"`` (1.5, 0) for walkers,
#: ``"up"`` (2.3, 1.5) for climbers, ``"full"`` (pi, 0) for swimmers
#: (``parametric_continuous_parkour.py``, ``environment_args_handler.py``). TeachMyAgent sets
#: none for amphibians; we give them the swimmers' full circle.
LIDARS: dict[str, LidarSpec] = {
    "walker": LidarSpec(1.5, 0.0),
    "climber": LidarSpec(2.3, 1.5),
    "swimmer": LidarSpec(math.pi, 0.0),
    "amphibian": LidarSpec(math.pi, 0.0),
}


@dataclass(frozen=True)
class PartSpec:
    """One rigid part.

    :param name: unique within the body.
    :param position: the part's centre, relative to the body's origin (m).
    :param vertices: a convex polygon in the part's own frame (m).
    :param angle: the part's initial angle (rad).
    :param density: kg/m^2 (TeachMyAgent: hull 5, limbs 1).
    :param friction: Box2D friction (TeachMyAgent: 0.1 for hulls, Box2D's default 0.2 otherwise).
    :param hull: a hull part: touching the terrain ends the episode where the env asks for it
        (TeachMyAgent's ``reset_on_hull_critical_contact``: on Stump Tracks, not on Parkour).
    :param critical: touching the terrain always ends the episode (the chimpanzees' head and
        chest, the climbers' lower legs).
    :param layer: drawing order (lower first).
    :param color: drawing palette: ``"hull"``, ``"limb"`` or ``"limb_far"``.
    :param box_size: ``(width, height)`` when the part is a centred rectangle (:meth:`box`): built
        with Box2D's ``SetAsBox``, whose mass properties are exact (a polygon's are computed and
        differ in the last bits, which BipedalWalker's bit-for-bit match would notice).
    """

    name: str
    position: Point
    vertices: tuple[Point, ...]
    angle: float = 0.0
    density: float = 1.0
    friction: float = 0.2
    hull: bool = False
    critical: bool = False
    layer: int = 1
    color: str = "limb"
    box_size: tuple[float, float] | None = None

    @classmethod
    def box(cls, name: str, position: Point, width: float, height: float, **kwargs) -> PartSpec:
        """A ``width`` x ``height`` rectangle centred on ``position``."""
        w, h = width / 2, height / 2
        return cls(name, position, ((-w, -h), (w, -h), (w, h), (-w, h)), box_size=(width, height), **kwargs)


@dataclass(frozen=True)
class JointSpec:
    """A revolute joint between two parts, motorised (one action, one observed motor) or passive.

    :param name: unique within the body.
    :param part_a: the parent part's name.
    :param part_b: the child part's name (created after ``part_a``).
    :param anchor: the pivot, relative to the body's origin (m); the joint's zero angle is the
        parts' initial relative angle (Box2D's ``revoluteJointDef(anchor=...)``).
    :param local_anchors: explicit pivots in each part's frame instead of ``anchor``, with zero
        reference angle; BipedalWalker's (and teachDeepRL's) bodies are built this way and
        start with their legs displaced, which the joints pull into place in the first steps.
    :param limits: ``(lower, upper)`` joint angle limits (rad).
    :param motor: whether it has a motor (then it takes one action in ``[-1, 1]``).
    :param speed: the motor's speed at full action (rad/s); also normalises the observed speed.
    :param angle_correction: added to the observed angle (TeachMyAgent: +1 for knees).
    :param contact_part: the part whose terrain contact is observed right after this motor.
    """

    name: str
    part_a: str
    part_b: str
    anchor: Point | None = None
    local_anchors: tuple[Point, Point] | None = None
    limits: tuple[float, float] | None = None
    motor: bool = True
    speed: float = 4.0
    angle_correction: float = 0.0
    contact_part: str | None = None

    def __post_init__(self) -> None:
        if (self.anchor is None) == (self.local_anchors is None):
            raise ValueError(f"joint {self.name!r}: give exactly one of anchor and local_anchors")


@dataclass(frozen=True)
class SensorSpec:
    """A grip sensor: a small circle welded to ``part``, that can grasp a graspable fixture it
    overlaps (one extra action in ``[-1, 1]``: > 0 grasps, <= 0 releases). TeachMyAgent's
    climbers: radius 0.05, at the tip of each hand (``ClimberAbstractBody.SENSOR_FD``).
    """

    name: str
    part: str
    position: Point
    radius: float = 0.05


@dataclass(frozen=True)
class BodySpec:
    """A whole body.

    :param name: registry name (TeachMyAgent's, e.g. ``"classic_bipedal"``).
    :param kind: one of :data:`KINDS`.
    :param parts: in creation order; each joint is created as soon as both its parts exist.
    :param joints: motorised ones give the action and observation order.
    :param sensors: grip sensors (climbers).
    :param head: the reference part: its angle and velocity start the observation, lidars
        start from it, the reward follows its x (TeachMyAgent's ``reference_head_object``).
    :param motor_torque: maximal torque of every motor (N m) at ``|action| = 1``.
    :param torque_penalty: reward cost per unit ``|action|``, times 80 (TeachMyAgent's
        ``TORQUE_PENALTY``: 0.00035 divided by the number of leg pairs or limbs).
    :param angle_reward: whether the reward's ``-5 |head angle|`` shaping applies
        (TeachMyAgent's ``remove_reward_on_head_angle``: not for wheel, chimpanzees, fish).
    :param center_height: height of the origin above flat ground at the start (m)
        (TeachMyAgent's ``AGENT_CENTER_HEIGHT``).
    :param width: approximate width (m) (``AGENT_WIDTH``; the start pad is made wide enough).
    :param push_parts: parts that receive the random initial push (none for the fish).
    :param lidar: the lidar fan (default: :data:`LIDARS` of ``kind``).
    :param survival_steps: steps the body survives out of its element (under water for walkers
        and climbers, out of water for swimmers; ``None``: unlimited); TeachMyAgent: 600.
    :param water_density: for swimmers and amphibians, the water density their densities were
        set against (TeachMyAgent: 1.0; the fish is 0.01 lighter so it slowly rises).
    :param angle_bound: observation bound of the head's angle (BipedalWalker's pi; the wheel
        rolls over, so its angle is unbounded).
    :param speed_bound: observation bound of the motors' normalised speeds (BipedalWalker's 5;
        the chimpanzees' light hands turn faster, so theirs are unbounded, as all of
        TeachMyAgent's bounds are).
    :param source: where the body comes from.
    :param description: one line for the docs.
    """

    name: str
    kind: str
    parts: tuple[PartSpec, ...]
    joints: tuple[JointSpec, ...]
    head: str
    motor_torque: float
    torque_penalty: float = 0.00035
    sensors: tuple[SensorSpec, ...] = ()
    angle_reward: bool = True
    center_height: float = 0.0
    width: float = 0.0
    push_parts: tuple[str, ...] | None = None
    lidar: LidarSpec | None = None
    survival_steps: int | None = 600
    water_density: float | None = None
    angle_bound: float = math.pi
    speed_bound: float = 5.0
    source: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"body {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        names = [p.name for p in self.parts]
        if len(set(names)) != len(names):
            raise ValueError(f"body {self.name!r}: part names must be unique, got {names}")
        known = set(names)
        for joint in self.joints:
            for part in (joint.part_a, joint.part_b, joint.contact_part):
                if part is not None and part not in known:
                    raise ValueError(f"body {self.name!r}: joint {joint.name!r} names unknown part {part!r}")
        for sensor in self.sensors:
            if sensor.part not in known:
                raise ValueError(f"body {self.name!r}: sensor {sensor.name!r} names unknown part {sensor.part!r}")
        if self.head not in known:
            raise ValueError(f"body {self.name!r}: head {self.head!r} is not a part")
        if self.push_parts is None:
            object.__setattr__(self, "push_parts", (self.head,))
        if self.lidar is None:
            object.__setattr__(self, "lidar", LIDARS[self.kind])

    # ------------------------------------------------------------------------------ sizes
    @property
    def motors(self) -> tuple[JointSpec, ...]:
        """The motorised joints, in action order."""
        return tuple(j for j in self.joints if j.motor)

    @property
    def action_dim(self) -> int:
        """One action per motor, then one per grip sensor."""
        return len(self.motors) + len(self.sensors)

    @property
    def state_dim(self) -> int:
        """Size of :meth:`envs.bodies.Body.proprioception` (without the env's head values).

        Per motor its angle and speed, plus its contact part's contact flag if it has one; per
        sensor (contact, attached): TeachMyAgent's ``get_motors_state`` + ``get_sensors_state``.
        """
        return sum(3 if m.contact_part else 2 for m in self.motors) + 2 * len(self.sensors)

    def part(self, name: str) -> PartSpec:
        """The part called ``name``."""
        for p in self.parts:
            if p.name == name:
                return p
        raise ValueError(f"body {self.name!r} has no part {name!r}; parts: {[p.name for p in self.parts]}")

    def head_bounds(self) -> tuple[list[float], list[float]]:
        """Observation bounds of :meth:`envs.bodies.Body.head_state` (BipedalWalker-v3's, but
        ``angle_bound`` for the angle)."""
        return [-self.angle_bound, -5.0, -5.0, -5.0], [self.angle_bound, 5.0, 5.0, 5.0]

    def state_bounds(self) -> tuple[list[float], list[float]]:
        """Observation bounds of :meth:`envs.bodies.Body.proprioception`.

        Angles: ``[-pi, pi]``, widened to the joint's limits plus 0.5 rad where they reach
        further (climbers' shoulders); speeds ``[-speed_bound, speed_bound]``; contacts and
        sensor flags ``[0, 5]`` (BipedalWalker-v3's bounds for its contact flags).
        """
        low: list[float] = []
        high: list[float] = []
        v = self.speed_bound
        for m in self.motors:
            reach = math.pi
            if m.limits is not None:
                reach = max(reach, max(abs(a + m.angle_correction) for a in m.limits) + 0.5)
            low += [-reach, -v]
            high += [reach, v]
            if m.contact_part:
                low.append(0.0)
                high.append(5.0)
        for _ in self.sensors:
            low += [0.0, 0.0]
            high += [5.0, 5.0]
        return low, high
