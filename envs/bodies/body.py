"""A :class:`~envs.bodies.spec.BodySpec` built in a Box2D world: motors, observations, contacts
and grasping.

The env owns the world and its contact listener and calls, per step::

    effort = body.apply_action(action)     # motor torques; grip sensors release on action <= 0
    world.Step(...)
    body.update_grasps()                   # grip sensors grasp on action > 0 and an overlap
    obs = body.head_state() + body.proprioception() + lidars...

and, from its ``b2.contactListener``, ``body.handle_contact(contact, touching)`` on every
``BeginContact`` (``True``) / ``EndContact`` (``False``); :class:`BodyContactListener` does just that.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from Box2D import b2
from Box2D.b2 import circleShape, fixtureDef, polygonShape, revoluteJointDef, weldJointDef

from envs.bodies.spec import SCALE, BodySpec

__all__ = ["BODY_CATEGORY", "Body", "BodyContactListener", "FixtureTag", "PartState", "is_graspable"]

#: Collision category of every body part (TeachMyAgent's 0x20); parts collide with the terrain only.
BODY_CATEGORY = 0x0020
FPS = 50
VIEWPORT_W, VIEWPORT_H = 600, 400


@dataclass(frozen=True)
class FixtureTag:
    """``userData`` for terrain fixtures that a grip sensor can grasp (ceilings, creepers)."""

    name: str
    graspable: bool = False


def is_graspable(fixture) -> bool:
    """Default graspability test: the fixture's ``userData`` is a graspable :class:`FixtureTag`."""
    tag = fixture.userData
    return isinstance(tag, FixtureTag) and tag.graspable


class PartState:
    """``userData`` of each Box2D body of a :class:`Body`: what its contacts mean."""

    __slots__ = ("contact", "critical", "name", "owner", "sensor")

    def __init__(self, owner: Body, name: str, critical: bool, sensor: int | None = None) -> None:
        self.owner = owner
        self.name = name
        self.critical = critical
        self.sensor = sensor  # grip sensor index, or None for a solid part
        self.contact = False


class Body:
    """A body built from ``spec`` with its origin at ``(x, y)``.

    :param world: the ``b2World``.
    :param spec: the body.
    :param x: origin position (m).
    :param y: origin position (m).
    :param hull_critical: whether the spec's hull parts end the episode on contact (TeachMyAgent:
        yes on Stump Tracks, no on Parkour); its critical parts always do.
    :param mask_bits: the collision categories the parts collide with (default: the terrain,
        category 1).
    :param graspable: which fixtures a grip sensor may grasp (default :func:`is_graspable`).
    """

    def __init__(
        self, world, spec: BodySpec, x: float, y: float, *, hull_critical: bool = True, mask_bits: int = 0x0001,
        graspable: Callable[[object], bool] = is_graspable,
    ) -> None:
        self.world = world
        self.spec = spec
        self.graspable = graspable
        self.critical_contact = False
        self._climber = spec.kind == "climber"
        self.parts: dict[str, object] = {}
        self.joints: dict[str, object] = {}
        self._layers: list[tuple[int, str, object]] = []  # (layer, color, b2Body)
        pending = list(spec.joints)
        for part in spec.parts:
            if part.box_size is not None:
                shape = polygonShape(box=(part.box_size[0] / 2, part.box_size[1] / 2))
            else:
                shape = polygonShape(vertices=list(part.vertices))
            fixture = fixtureDef(
                shape=shape, density=part.density, friction=part.friction,
                restitution=0.0, categoryBits=BODY_CATEGORY, maskBits=mask_bits,
            )
            body = world.CreateDynamicBody(position=(x + part.position[0], y + part.position[1]), angle=part.angle,
                                           fixtures=fixture)
            body.userData = PartState(self, part.name, part.critical or (part.hull and hull_critical))
            self.parts[part.name] = body
            self._layers.append((part.layer, part.color, body))
            # A joint is created as soon as both its parts exist (BipedalWalker's order).
            for joint in [j for j in pending if j.part_a in self.parts and j.part_b in self.parts]:
                pending.remove(joint)
                self.joints[joint.name] = world.CreateJoint(self._joint_def(joint, x, y))
        self.head = self.parts[spec.head]
        self.motors = [self.joints[j.name] for j in spec.motors]
        self._motor_specs = spec.motors
        self._contact_states = [self.parts[j.contact_part].userData if j.contact_part else None for j in spec.motors]
        self.sensors = []
        for i, sensor in enumerate(spec.sensors):
            position = (x + sensor.position[0], y + sensor.position[1])
            body = world.CreateDynamicBody(position=position, fixtures=fixtureDef(
                shape=circleShape(radius=sensor.radius), density=1.0, restitution=0.0, isSensor=True,
                categoryBits=BODY_CATEGORY, maskBits=mask_bits,
            ))
            body.userData = PartState(self, sensor.name, False, sensor=i)
            world.CreateJoint(weldJointDef(bodyA=self.parts[sensor.part], bodyB=body, anchor=position))
            self.sensors.append(body)
        n = len(self.sensors)
        self.grasp_ready = [False] * n
        self.grasp_joints: list[object | None] = [None] * n
        self._overlaps: list[list[object]] = [[] for _ in range(n)]  # graspable fixtures each sensor overlaps

    def _joint_def(self, joint, x: float, y: float) -> revoluteJointDef:
        a, b = self.parts[joint.part_a], self.parts[joint.part_b]
        kwargs = {"enableMotor": joint.motor, "enableLimit": joint.limits is not None}
        if joint.motor:
            kwargs.update(maxMotorTorque=self.spec.motor_torque, motorSpeed=0.0)
        if joint.limits is not None:
            kwargs.update(lowerAngle=joint.limits[0], upperAngle=joint.limits[1])
        if joint.local_anchors is not None:
            return revoluteJointDef(bodyA=a, bodyB=b, localAnchorA=joint.local_anchors[0],
                                    localAnchorB=joint.local_anchors[1], **kwargs)
        return revoluteJointDef(bodyA=a, bodyB=b, anchor=(x + joint.anchor[0], y + joint.anchor[1]), **kwargs)

    # -------------------------------------------------------------------------------- parts
    @property
    def hull(self):
        """The head (reference) part; the name of BipedalWalker's."""
        return self.head

    @property
    def bodies(self) -> list:
        """Every Box2D body of this body (parts, then grip sensors)."""
        return list(self.parts.values()) + self.sensors

    @property
    def action_dim(self) -> int:
        return self.spec.action_dim

    def draw_list(self) -> list[tuple[str, object]]:
        """``(palette, b2Body)`` in drawing order (by layer, then creation), grip sensors last."""
        ordered = sorted(range(len(self._layers)), key=lambda i: (self._layers[i][0], i))
        return [(self._layers[i][1], self._layers[i][2]) for i in ordered] + [("sensor", s) for s in self.sensors]

    def push(self, force: float) -> None:
        """The random initial push: a horizontal force on the spec's ``push_parts``."""
        for name in self.spec.push_parts:
            self.parts[name].ApplyForceToCenter((force, 0.0), True)

    def destroy(self) -> None:
        """Remove every Box2D body (and so every joint) of this body from its world."""
        for body in self.bodies:
            self.world.DestroyBody(body)
        self.parts, self.joints, self.motors, self.sensors = {}, {}, [], []
        self.grasp_joints = [None] * len(self.grasp_joints)

    # ------------------------------------------------------------------------------ actions
    def apply_action(self, action: Sequence[float]) -> float:
        """Set motor speeds/torques (TeachMyAgent's ``activate_motors``) and grip sensors' intent.

        A motor turns at ``speed * sign(a)`` with at most ``motor_torque * min(|a|, 1)``. A grip
        action ``<= 0`` releases the sensor's grasp at once; ``> 0`` makes it ready to grasp in
        :meth:`update_grasps`.

        :return: ``sum(min(|a|, 1))`` over all actions (the reward's torque cost is
            ``torque_penalty * 80`` times this, as in TeachMyAgent).
        """
        torque = self.spec.motor_torque
        total = 0.0
        for motor, spec, a in zip(self.motors, self._motor_specs, action, strict=False):
            a = float(a)
            mag = min(abs(a), 1.0)
            motor.motorSpeed = math.copysign(spec.speed, a) if a != 0.0 else 0.0
            motor.maxMotorTorque = torque * mag
            total += mag
        n = len(self.motors)
        for i in range(len(self.sensors)):
            a = float(action[n + i])
            total += min(abs(a), 1.0)
            self.grasp_ready[i] = a > 0.0
            if not self.grasp_ready[i]:
                self.release(i)
        return total

    def release(self, i: int) -> None:
        """Release grip sensor ``i``'s grasp, if any."""
        joint = self.grasp_joints[i]
        if joint is not None:
            self.grasp_joints[i] = None
            self.world.DestroyJoint(joint)

    def update_grasps(self) -> None:
        """After ``world.Step``: each ready, free sensor that overlaps a graspable fixture grasps it
        (a revolute joint at the sensor's centre, TeachMyAgent's ``ClimbingDynamics``).

        The overlap is checked again against the fixture's bounding box (the solver may have
        moved the sensor off it since the contact began); a stale overlap is dropped.
        """
        for i, sensor in enumerate(self.sensors):
            overlaps = self._overlaps[i]
            if not (self.grasp_ready[i] and self.grasp_joints[i] is None and overlaps):
                continue
            other = overlaps[0]
            c = sensor.worldCenter
            r = sensor.fixtures[0].shape.radius + 0.01
            box = other.GetAABB(0)
            if (c[0] + r > box.lowerBound[0] and c[0] - r < box.upperBound[0]
                    and c[1] + r > box.lowerBound[1] and c[1] - r < box.upperBound[1]):
                self.grasp_joints[i] = self.world.CreateJoint(revoluteJointDef(bodyA=sensor, bodyB=other.body,
                                                                               anchor=c))
            else:
                overlaps.pop(0)

    def attached(self, i: int) -> bool:
        """Whether grip sensor ``i`` holds something."""
        return self.grasp_joints[i] is not None

    # -------------------------------------------------------------------------- observation
    def head_state(self) -> list[float]:
        """The head's angle, angular velocity and velocity (x, y), normalised as BipedalWalker's."""
        head = self.head
        vel = head.linearVelocity
        return [
            head.angle,
            2.0 * head.angularVelocity / FPS,
            0.3 * vel.x * (VIEWPORT_W / SCALE) / FPS,
            0.3 * vel.y * (VIEWPORT_H / SCALE) / FPS,
        ]

    def proprioception(self) -> list[float]:
        """Per motor: angle (+ correction), speed / its full speed, and its contact part's flag
        if it has one; then per grip sensor: (overlaps something graspable, attached).
        ``spec.state_dim`` values (TeachMyAgent's ``get_motors_state`` + ``get_sensors_state``)."""
        state: list[float] = []
        for motor, spec, contact in zip(self.motors, self._motor_specs, self._contact_states, strict=True):
            angle = motor.angle
            if spec.angle_correction:
                angle = angle + spec.angle_correction
            state.append(angle)
            state.append(motor.speed / spec.speed)
            if contact is not None:
                state.append(1.0 if contact.contact else 0.0)
        for i in range(len(self.sensors)):
            state.append(1.0 if self._overlaps[i] else 0.0)
            state.append(1.0 if self.grasp_joints[i] is not None else 0.0)
        return state

    # ----------------------------------------------------------------------------- contacts
    def handle_contact(self, contact, touching: bool) -> None:
        """Update contact flags from a Box2D contact that begins (``touching``) or ends.

        Solid parts: their contact flag follows the contact, and a critical part that begins
        one sets :attr:`critical_contact`, except a climber's against graspable terrain (it may
        touch what it climbs, as in TeachMyAgent's Parkour). Contacts with sensor fixtures
        (water, creepers) are ignored here.
        Grip sensors: record / forget the graspable fixtures they overlap.
        """
        fa, fb = contact.fixtureA, contact.fixtureB
        for fixture, other in ((fa, fb), (fb, fa)):
            state = fixture.body.userData
            if not isinstance(state, PartState) or state.owner is not self:
                continue
            if state.sensor is not None:
                if self.graspable(other):
                    overlaps = self._overlaps[state.sensor]
                    if touching:
                        overlaps.append(other)
                    else:
                        self._overlaps[state.sensor] = [f for f in overlaps if f != other]
                continue
            if other.sensor:
                continue
            state.contact = touching
            if touching and state.critical and not (self._climber and self.graspable(other)):
                self.critical_contact = True


class BodyContactListener(b2.contactListener):
    """A contact listener that forwards every contact to one :class:`Body`."""

    def __init__(self, body: Body) -> None:
        super().__init__()
        self.body = body

    def BeginContact(self, contact):
        self.body.handle_contact(contact, True)

    def EndContact(self, contact):
        self.body.handle_contact(contact, False)
