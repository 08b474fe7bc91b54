"""What Parkour needs from a body, over :mod:`envs.walker.bodies`' walkers.

:class:`ParkourAgent` gives the env one interface to every body: its kind, reference head,
parts (for water forces, contacts and drawing), critical parts, grip sensors, motor actions and
motor observations.
"""

from __future__ import annotations

from dataclasses import dataclass

from envs.walker.bodies import BODIES, Walker

__all__ = ["AGENT_KINDS", "ParkourAgent", "body_kind", "body_names"]

#: Kinds of body (TeachMyAgent's ``BodyTypesEnum``).
AGENT_KINDS = ("walker", "climber", "swimmer", "amphibian")


def body_names() -> list[str]:
    """Every body Parkour accepts."""
    return sorted(BODIES)


def body_kind(name: str) -> str:
    """The kind of the body called ``name``."""
    return getattr(BODIES[name], "kind", "walker")


@dataclass
class ParkourAgent:
    """A body built in a world, as Parkour sees it."""

    kind: str
    walker: Walker
    torque_penalty: float = 0.00035
    angle_reward: bool = True
    survival_steps: int | None = 600

    @classmethod
    def build(cls, world, name: str, x: float, ground_y: float) -> ParkourAgent:
        spec = BODIES[name]
        walker = Walker(world, spec, x, ground_y + spec.leg_length)
        return cls(kind=body_kind(name), walker=walker)

    @staticmethod
    def width(name: str) -> float:
        xs = [p[0] for p in BODIES[name].hull]
        return max(xs) - min(xs)

    @property
    def head(self):
        return self.walker.hull

    @property
    def parts(self) -> list:
        return self.walker.bodies

    @property
    def critical_parts(self) -> list:
        return [self.walker.hull]

    @property
    def sensors(self) -> list:
        return []

    @property
    def action_dim(self) -> int:
        return self.walker.action_dim

    @property
    def motor_state_dim(self) -> int:
        return 5 * len(self.walker.hips)

    def apply_action(self, action) -> float:
        return self.walker.apply_action(action)

    def motor_state(self) -> list[float]:
        return self.walker.proprioception()[4:]

    def set_contact(self, body, value: bool) -> None:
        for i, foot in enumerate(self.walker.feet):
            if body == foot:
                self.walker.foot_contact[i] = value
