"""Every body, by name: TeachMyAgent's embodiments and teachrl's two earlier walker variants.

Geometry, joint limits, motor speeds and torques, densities, torque penalties and which parts
are critical are TeachMyAgent's (``TeachMyAgent/environments/envs/bodies/**``, pixels / 30);
the code is ours. Differences from TeachMyAgent, on purpose:

- ``millipede``: TeachMyAgent means its head segment (the rightmost) to be critical but sets the
  flag on the Box2D body instead of its user data, so no part of it ever is; here the head
  segment is a hull (critical on Stump Tracks, as the other walkers' hulls).
- ``fish``: TeachMyAgent draws it 1 m above the requested height; that metre is part of its
  ``center_height`` here.
- The head-to-chest joint of the chimpanzees and the millipede's segment joints are passive
  (no motor, no action), as in TeachMyAgent.
"""

from __future__ import annotations

import math

from envs.bodies.spec import KINDS, SCALE, BodySpec, JointSpec, PartSpec, SensorSpec, px

__all__ = ["ALIASES", "BODIES", "body_names", "get_body"]

PI = math.pi
HIP_SPEED, KNEE_SPEED, HAND_SPEED = 4.0, 6.0, 8.0  # TeachMyAgent's SPEED_HIP / SPEED_KNEE / SPEED_HAND
PENALTY = 0.00035  # TeachMyAgent's (and BipedalWalker's) torque penalty per leg pair
HULL_DENSITY, LIMB_DENSITY = 5.0, 1.0
HULL_FRICTION = 0.1

_BIPED_HULL = px((-30, 9), (6, 9), (34, 1), (34, -8), (-30, -8))
_SQUARE = px((-10, 10), (10, 10), (10, -10), (-10, -10))


def _leg(
    prefix: str, parent: str, x: float, hip_y: float, width: float, length: float, side: int, *,
    old_style: bool = False, lower_length: float | None = None, density: float = LIMB_DENSITY,
    lower_critical: bool = False, hip_limits=(-0.8, 1.1), knee_limits=(-1.6, -0.1),
    knee_speed: float = KNEE_SPEED,
) -> tuple[list[PartSpec], list[JointSpec]]:
    """A two-segment leg hanging from ``(x, hip_y)`` on ``parent``: BipedalWalker's hip + knee.

    ``old_style``: BipedalWalker's own construction (legs tilted by ``side * 0.05`` rad, joints
    by local anchors with the thigh's top placed at ``-hip_y``; the joints pull it into place).
    Otherwise TeachMyAgent's newer one (straight legs, joints at their world anchors).
    """
    lower_length = length if lower_length is None else lower_length
    layer = 0 if side < 0 else 1
    color = "limb_far" if side < 0 else "limb"
    if old_style:
        upper_y, lower_y, angle = -hip_y - length / 2, -hip_y - length - lower_length / 2, side * 0.05
    else:
        upper_y, lower_y, angle = hip_y - length / 2, hip_y - length - lower_length / 2, 0.0
    upper = PartSpec.box(f"{prefix}_upper", (x, upper_y), width, length, angle=angle, density=density,
                         layer=layer, color=color)
    lower = PartSpec.box(f"{prefix}_lower", (x, lower_y), 0.8 * width, lower_length, angle=angle,
                         density=density, critical=lower_critical, layer=layer, color=color)
    if old_style:
        hip = JointSpec(f"{prefix}_hip", parent, upper.name, local_anchors=((x, hip_y), (0.0, length / 2)),
                        limits=hip_limits, speed=HIP_SPEED)
        knee = JointSpec(f"{prefix}_knee", upper.name, lower.name,
                         local_anchors=((0.0, -length / 2), (0.0, lower_length / 2)), limits=knee_limits,
                         speed=knee_speed, angle_correction=1.0, contact_part=lower.name)
    else:
        hip = JointSpec(f"{prefix}_hip", parent, upper.name, anchor=(x, hip_y), limits=hip_limits, speed=HIP_SPEED)
        knee = JointSpec(f"{prefix}_knee", upper.name, lower.name, anchor=(x, hip_y - length), limits=knee_limits,
                         speed=knee_speed, angle_correction=1.0, contact_part=lower.name)
    return [upper, lower], [hip, knee]


def _biped(
    name: str, leg_w: float, leg_h: float, *, old_style: bool = False, hull_density: float = HULL_DENSITY,
    leg_density: float = LIMB_DENSITY, hull_critical: bool = True, kind: str = "walker", **kwargs,
) -> BodySpec:
    """BipedalWalker's hull on one pair of legs (``leg_w`` x ``leg_h`` m segments)."""
    hip_y = -8 / SCALE if old_style else -3 / SCALE  # TeachMyAgent's LEG_DOWN: -8 px old, 3 px below new
    parts = [PartSpec("hull", (0.0, 0.0), _BIPED_HULL, density=hull_density, friction=HULL_FRICTION,
                      hull=hull_critical, layer=2, color="hull")]
    joints: list[JointSpec] = []
    for i, side in enumerate((-1, +1)):
        p, j = _leg(f"leg{i}", "hull", 0.0, hip_y, leg_w, leg_h, side, old_style=old_style, density=leg_density)
        parts += p
        joints += j
    center = 2 * leg_h if old_style else 2 * leg_h - hip_y
    return BodySpec(name=name, kind=kind, parts=tuple(parts), joints=tuple(joints), head="hull",
                    motor_torque=80.0, center_height=center, **kwargs)


def _quadruped(name: str, hull, leg_xs, leg_w, leg_h, torque, *, old_style, hull_density, hip_y, **kwargs) -> BodySpec:
    parts = [PartSpec("hull", (0.0, 0.0), hull, density=hull_density, friction=HULL_FRICTION, hull=True,
                      layer=2, color="hull")]
    joints: list[JointSpec] = []
    for k, x in enumerate(leg_xs):
        for i, side in enumerate((-1, +1)):
            p, j = _leg(f"leg{2 * k + i}", "hull", x, hip_y, leg_w, leg_h, side, old_style=old_style)
            parts += p
            joints += j
    center = 2 * leg_h if old_style else 2 * leg_h - hip_y
    return BodySpec(name=name, kind="walker", parts=tuple(parts), joints=tuple(joints), head="hull",
                    motor_torque=torque, center_height=center, **kwargs)


def _spider() -> BodySpec:
    """``SpiderBody``: a 20 px square on 4 three-segment legs (6 x 20 px), torque 100."""
    leg_down, w, h = 4 / SCALE, 6 / SCALE, 20 / SCALE
    parts = [PartSpec("hull", (0.0, 0.0), _SQUARE, density=HULL_DENSITY, friction=HULL_FRICTION, hull=True,
                      layer=2, color="hull")]
    joints: list[JointSpec] = []
    for k, i in enumerate((+1, -1, +1, -1)):  # TeachMyAgent: [+1, -1] * nb_pairs_of_legs (2)
        layer, color = (0, "limb_far") if k < 2 else (1, "limb")
        hip = (-i * 10 / SCALE, -leg_down)
        a_u, a_m, a_l = 0.25 * PI * i, 0.7 * PI * i, 0.9 * PI * i
        ux, uy = hip[0] - math.sin(a_u) * h / 2, hip[1] + math.cos(a_u) * h / 2
        knee1 = (ux - math.sin(a_u) * h / 2, uy + math.cos(a_u) * h / 2)
        mx, my = knee1[0] - math.sin(a_m) * h / 2, knee1[1] + math.cos(a_m) * h / 2
        knee2 = (mx - math.sin(a_m) * h / 2, my + math.cos(a_m) * h / 2)
        lx, ly = knee2[0] - math.sin(a_l) * h / 2, knee2[1] + math.cos(a_l) * h / 2
        names = [f"leg{k}_upper", f"leg{k}_middle", f"leg{k}_lower"]
        parts += [
            PartSpec.box(names[0], (ux, uy), w, h, angle=a_u, layer=layer, color=color),
            PartSpec.box(names[1], (mx, my), w, h, angle=a_m, layer=layer, color=color),
            PartSpec.box(names[2], (lx, ly), 0.8 * w, h, angle=a_l, layer=layer, color=color),
        ]
        joints += [
            JointSpec(f"leg{k}_hip", "hull", names[0], anchor=hip, limits=(-0.1 * PI, 0.1 * PI), speed=HIP_SPEED),
            JointSpec(f"leg{k}_knee1", names[0], names[1], anchor=knee1, limits=(-0.15 * PI, 0.15 * PI),
                      speed=HIP_SPEED),
            JointSpec(f"leg{k}_knee2", names[1], names[2], anchor=knee2, limits=(-0.2 * PI, 0.2 * PI),
                      speed=KNEE_SPEED, contact_part=names[2]),
        ]
    return BodySpec(
        name="spider", kind="walker", parts=tuple(parts), joints=tuple(joints), head="hull", motor_torque=100.0,
        torque_penalty=PENALTY / 2, center_height=h + leg_down, width=20 / SCALE + 4 * h,
        source="TeachMyAgent SpiderBody", description="square body on four 3-segment legs",
    )


def _millipede(n_segments: int = 4) -> BodySpec:
    """``MillipedeBody``: 4 square segments (passive joints) with a pair of 4 x 10 px legs each."""
    leg_down, w, h = 3 / SCALE, 4 / SCALE, 10 / SCALE
    seg = 20 / SCALE
    x0 = -seg * n_segments / 2
    parts: list[PartSpec] = []
    joints: list[JointSpec] = []
    for s in range(n_segments):
        x = x0 + s * seg
        name = f"segment{s}"
        parts.append(PartSpec(name, (x, 0.0), _SQUARE, density=HULL_DENSITY, friction=HULL_FRICTION,
                              hull=s == n_segments - 1, layer=2, color="hull"))
        if s > 0:
            joints.append(JointSpec(f"segment{s - 1}_{s}", f"segment{s - 1}", name, anchor=(x - seg / 2, 0.0),
                                    limits=(-0.05 * PI, 0.05 * PI), motor=False))
        for i, side in enumerate((-1, +1)):
            p, j = _leg(f"leg{2 * s + i}", name, x, -leg_down, w, h, side)
            parts += p
            joints += j
    return BodySpec(
        name="millipede", kind="walker", parts=tuple(parts), joints=tuple(joints), head=f"segment{n_segments - 1}",
        motor_torque=200.0, torque_penalty=PENALTY / n_segments, center_height=2 * h + leg_down,
        width=seg * n_segments, push_parts=tuple(f"segment{s}" for s in range(n_segments)),
        source="TeachMyAgent MillipedeBody", description="4 jointed square segments, a leg pair each",
    )


def _wheel() -> BodySpec:
    """``WheelBody``: a 20 px square with 4 two-segment legs (4 x 10 px) pointing down, up, left, right."""
    w, h, half = 4 / SCALE, 10 / SCALE, 10 / SCALE
    parts = [PartSpec("hull", (0.0, 0.0), _SQUARE, density=HULL_DENSITY, friction=HULL_FRICTION, hull=True,
                      layer=2, color="hull")]
    joints: list[JointSpec] = []
    for k, (dx, dy, angle) in enumerate(((0, -1, 0.0), (0, 1, 0.0), (-1, 0, PI / 2), (1, 0, PI / 2))):
        hip = (dx * half, dy * half)
        ux, uy = hip[0] + dx * h / 2, hip[1] + dy * h / 2
        up, lo = f"leg{k}_upper", f"leg{k}_lower"
        parts += [
            PartSpec.box(up, (ux, uy), w, h, angle=angle, layer=1, color="limb"),
            PartSpec.box(lo, (ux + dx * h, uy + dy * h), 0.8 * w, h, angle=angle, layer=1, color="limb"),
        ]
        joints += [
            JointSpec(f"leg{k}_hip", "hull", up, anchor=hip, limits=(-0.8, 1.1), speed=HIP_SPEED),
            JointSpec(f"leg{k}_knee", up, lo, anchor=(ux + dx * h / 2, uy + dy * h / 2), limits=(-1.6, -0.1),
                      speed=KNEE_SPEED, angle_correction=1.0, contact_part=lo),
        ]
    return BodySpec(
        name="wheel", kind="walker", parts=tuple(parts), joints=tuple(joints), head="hull", motor_torque=500.0,
        torque_penalty=PENALTY / 2, angle_reward=False, center_height=half + 2 * h, width=2 * half,
        angle_bound=math.inf, speed_bound=math.inf,
        source="TeachMyAgent WheelBody", description="square with four 2-segment legs in a cross",
    )


# The chimpanzees (``ProfileChimpanzee``, ``ClimbingProfileChimpanzee``, ``ClimbingChestProfileChimpanzee``).
_LEG_DOWN, _ARM_UP = 12 / SCALE, 22 / SCALE
_LIMB_W, _LIMB_H = 8 / SCALE, 28 / SCALE
_HAND_W, _HAND_H = 4 / SCALE, 8 / SCALE
_BODY_H, _HEAD_H = 45 / SCALE, 20 / SCALE


def _chimpanzee(name: str, kind: str, *, legs: bool, climbing: bool, source: str, description: str) -> BodySpec:
    parts = [
        PartSpec("head", (0.0, _BODY_H / 2 + _HEAD_H / 2 + 0.2), px((-5, 10), (5, 10), (5, -10), (-5, -10)),
                 density=HULL_DENSITY, friction=HULL_FRICTION, critical=True, layer=1, color="hull"),
        PartSpec("chest", (0.0, 0.0), px((-12, 25), (12, 25), (8, -20), (-8, -20)), density=HULL_DENSITY,
                 friction=HULL_FRICTION, critical=True, layer=1, color="hull"),
    ]
    joints = [JointSpec("neck", "head", "chest", anchor=(0.0, _BODY_H / 2), limits=(-0.1 * PI, 0.1 * PI), motor=False)]
    if legs:
        for i in range(2):
            p, j = _leg(f"leg{i}", "chest", 0.0, -_LEG_DOWN, _LIMB_W, _LIMB_H, -1 if i == 0 else 1,
                        hip_limits=(-0.3 * PI, 0.6 * PI), knee_limits=(-0.75 * PI, -0.1), lower_critical=climbing)
            parts += p
            joints += j
    sensors: list[SensorSpec] = []
    for i in range(2):
        layer, color = (0, "limb_far") if i == 0 else (2, "limb")
        up, lo = f"arm{i}_upper", f"arm{i}_lower"
        d = 1 if climbing else -1  # climbers' arms point up, the walker's hang down
        parts += [
            PartSpec.box(up, (0.0, _ARM_UP + d * _LIMB_H / 2), _LIMB_W, _LIMB_H, layer=layer, color=color),
            PartSpec.box(lo, (0.0, _ARM_UP + d * 1.5 * _LIMB_H), 0.8 * _LIMB_W, _LIMB_H, layer=layer, color=color),
        ]
        shoulder_limits = (-1.5 * PI, 0.0) if climbing else (-0.5 * PI, 0.8 * PI)
        joints += [
            JointSpec(f"arm{i}_shoulder", "chest", up, anchor=(0.0, _ARM_UP), limits=shoulder_limits, speed=HIP_SPEED),
            JointSpec(f"arm{i}_elbow", up, lo, anchor=(0.0, _ARM_UP + d * _LIMB_H), limits=(0.0, 0.75 * PI),
                      speed=HIP_SPEED),
        ]
        hand_limits = [(-0.5, 0.5)] if climbing else [(-0.4, 0.35), (-0.5, 0.0), (-0.8, 0.0)]
        wrist_y = _ARM_UP + d * 2 * _LIMB_H
        previous = lo
        for u, (lower, upper) in enumerate(hand_limits):
            hand = f"arm{i}_hand{u}"
            parts.append(PartSpec.box(hand, (0.0, wrist_y + d * (_HAND_H / 2 + _HAND_H * u)), _HAND_W, _HAND_H,
                                      layer=layer, color=color))
            joints.append(JointSpec(f"arm{i}_wrist{u}", previous, hand, anchor=(0.0, wrist_y + d * _HAND_H * u),
                                    limits=(lower * PI, upper * PI), speed=HAND_SPEED, contact_part=hand))
            previous = hand
        if climbing:
            sensors.append(SensorSpec(f"arm{i}_grip", previous, (0.0, wrist_y + _HAND_H * len(hand_limits))))
    return BodySpec(
        name=name, kind=kind, parts=tuple(parts), joints=tuple(joints), sensors=tuple(sensors), head="head",
        motor_torque=100.0, torque_penalty=PENALTY / 5, angle_reward=False, center_height=2 * _LIMB_H + _LEG_DOWN,
        width=24 / SCALE, speed_bound=math.inf, source=source, description=description,
    )


def _fish(water_density: float = 1.0) -> BodySpec:
    """``FishBody``: head, three tail parts and a ventral fin, all 0.01 lighter than water."""
    density = water_density - 0.01  # SwimmerAbstractBody: slowly rises when idle
    p1x = -35 / 2 / SCALE - 16 / 2 / SCALE
    p2x = p1x - 16 / SCALE
    p3x = p2x - 16 / 2 / SCALE - 8 / 2 / SCALE
    fin_anchor = (0.0, -22 / 2 / SCALE + 0.2)
    fin_angle = -0.2 * PI
    fin_pos = (fin_anchor[0] + math.sin(fin_angle) * 10 / SCALE, fin_anchor[1] - math.cos(fin_angle) * 10 / SCALE)
    common = {"density": density, "layer": 1, "color": "hull"}
    parts = (
        PartSpec("head", (0.0, 0.0), px((-20, 12), (6, 12), (15, 4), (15, -4), (6, -12), (-20, -12)),
                 friction=HULL_FRICTION, **common),
        PartSpec("body1", (p1x, 0.0), px((-8, 9), (8, 12), (8, -12), (-8, -9)), **common),
        PartSpec("body2", (p2x, 0.0), px((-8, 4), (8, 9), (8, -9), (-8, -4)), **common),
        PartSpec("tail", (p3x, 0.0), px((-4, 2), (4, 4), (4, -4), (-4, -2)), **common),
        PartSpec("fin", fin_pos, px((-1, -10), (-1, 10), (1, 10), (1, -10)), angle=fin_angle, density=density,
                 layer=2, color="limb"),
    )
    joints = (
        JointSpec("neck", "head", "body1", anchor=(-35 / 2 / SCALE, 0.0), limits=(-0.1 * PI, 0.2 * PI),
                  speed=KNEE_SPEED, contact_part="body1"),
        JointSpec("waist", "body1", "body2", anchor=(p1x - 8 / SCALE, 0.0), limits=(-0.15 * PI, 0.15 * PI),
                  speed=KNEE_SPEED, contact_part="body2"),
        JointSpec("tail_joint", "body2", "tail", anchor=(p2x - 8 / SCALE, 0.0), limits=(-0.3 * PI, 0.3 * PI),
                  speed=KNEE_SPEED, contact_part="tail"),
        JointSpec("fin_joint", "head", "fin", anchor=fin_anchor, limits=(-0.3 * PI, 0.2 * PI), speed=KNEE_SPEED,
                  contact_part="fin"),
    )
    return BodySpec(
        name="fish", kind="swimmer", parts=parts, joints=joints, head="head", motor_torque=80.0, angle_reward=False,
        center_height=9 / SCALE + 1.0, width=35 / SCALE, push_parts=(), water_density=water_density,
        source="TeachMyAgent FishBody", description="head, 3 tail parts and a fin; density 0.99 (water 1)",
    )


def _catalog() -> dict[str, BodySpec]:
    leg_w = 8 / SCALE
    bodies = [
        _biped("old_classic_bipedal", leg_w, 34 / SCALE, old_style=True, width=64 / SCALE,
               source="TeachMyAgent OldClassicBipedalBody (= gymnasium BipedalWalker-v3)",
               description="BipedalWalker's walker, as built by BipedalWalker"),
        _biped("classic_bipedal", leg_w, 34 / SCALE, width=64 / SCALE, source="TeachMyAgent ClassicBipedalBody",
               description="BipedalWalker's walker, straight legs, hips 3 px below the hull's centre"),
        _biped("small_bipedal", leg_w, 17 / SCALE, width=20 / SCALE, source="TeachMyAgent SmallBipedalBody",
               description="the classic bipedal with legs half as long (8 x 17 px)"),
        _quadruped("big_quadru", px((-46, 13), (6, 13), (50, 5), (50, -12), (-46, -12)),
                   (-0.7 * 48 / SCALE, 0.5 * 48 / SCALE), 10 / SCALE, 51 / SCALE, 300.0, old_style=False,
                   hull_density=HULL_DENSITY, hip_y=-3 / SCALE, torque_penalty=PENALTY / 2, width=96 / SCALE,
                   source="TeachMyAgent BigQuadruBody", description="big hull on two pairs of long legs (10 x 51 px)"),
        _spider(),
        _millipede(),
        _wheel(),
        _chimpanzee("profile_chimpanzee", "walker", legs=True, climbing=False, source="TeachMyAgent ProfileChimpanzee",
                    description="head, chest, 2 legs and 2 arms with 3-part hands"),
        _chimpanzee("climbing_profile_chimpanzee", "climber", legs=True, climbing=True,
                    source="TeachMyAgent ClimbingProfileChimpanzee",
                    description="head, chest, 2 legs and 2 raised arms with grip sensors"),
        _chimpanzee("climbing_chest_profile_chimpanzee", "climber", legs=False, climbing=True,
                    source="TeachMyAgent ClimbingChestProfileChimpanzee",
                    description="head, chest and 2 raised arms with grip sensors, no legs"),
        _fish(),
        _biped("amphibious_bipedal", leg_w, 34 / SCALE, kind="amphibian", hull_density=1.25, leg_density=0.25,
               hull_critical=False, survival_steps=None, water_density=1.0, width=64 / SCALE,
               source="TeachMyAgent AmphibiousBipedalBody",
               description="classic bipedal with hull density 1.25 and legs 0.25 (water 1)"),
        # teachrl's earlier variants (teachDeepRL's "short" / "quadru" bodies, BipedalWalker-built).
        _biped("short", leg_w, 0.6 * 34 / SCALE, old_style=True, width=64 / SCALE,
               source="teachrl, after teachDeepRL's short walker", description="BipedalWalker's walker, legs 60% as long"),
        _quadruped("quadruped", px((-60, 9), (40, 9), (64, 1), (64, -8), (-60, -8)), (-45 / SCALE, 45 / SCALE),
                   leg_w, 34 / SCALE, 80.0, old_style=True, hull_density=4.0, hip_y=-8 / SCALE, width=124 / SCALE,
                   source="teachrl, after teachDeepRL's quadruped",
                   description="long hull on two pairs of BipedalWalker legs"),
    ]
    return {b.name: b for b in bodies}


#: Every body by its canonical name.
BODIES: dict[str, BodySpec] = _catalog()

#: Other accepted names: teachrl's first name of BipedalWalker's body.
ALIASES: dict[str, str] = {"default": "old_classic_bipedal"}


def body_names(kind: str | None = None, aliases: bool = False) -> tuple[str, ...]:
    """Canonical body names (and aliases if ``aliases``), optionally of one ``kind`` only."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}")
    names = [n for n, b in BODIES.items() if kind is None or b.kind == kind]
    if aliases:
        names += [a for a, n in ALIASES.items() if kind is None or BODIES[n].kind == kind]
    return tuple(names)


def get_body(name: str, kind: str | tuple[str, ...] | None = None) -> BodySpec:
    """The body called ``name`` (or an alias); ``ValueError`` listing the valid names otherwise.

    :param kind: accept only bodies of this kind (or these kinds).
    """
    kinds = (kind,) if isinstance(kind, str) else kind
    valid = [n for k in (kinds or (None,)) for n in body_names(k, aliases=True)]
    spec = BODIES.get(ALIASES.get(name, name)) if isinstance(name, str) else None
    if spec is None or (kinds is not None and spec.kind not in kinds):
        what = "body" if kinds is None else f"{'/'.join(kinds)} body"
        raise ValueError(f"unknown {what} {name!r}; valid: {', '.join(valid)}")
    return spec
