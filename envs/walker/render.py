"""Offscreen pygame drawing of a walker on its track, returned as an RGB array."""

from __future__ import annotations

import os

import numpy as np
from Box2D import b2

from envs.walker.terrain import GROUND_Y, SCALE, TRACK_LENGTH, Stump

__all__ = ["PALETTES", "body_portrait", "draw_body", "draw_frame"]

SKY = (215, 215, 255)
GROUND = (102, 153, 76)
STUMP = (140, 100, 60)
#: (fill, outline) per body-part palette (:attr:`envs.bodies.PartSpec.color`); grip sensors are
#: red, yellow while they hold something (TeachMyAgent's colours).
PALETTES = {
    "hull": ((127, 51, 229), (76, 76, 127)),
    "limb": ((178, 101, 152), (127, 76, 101)),
    "limb_far": ((128, 51, 102), (77, 26, 51)),
    "sensor": ((255, 0, 0), (255, 0, 0)),
    "sensor_attached": ((255, 255, 0), (255, 255, 0)),
}


def _pygame():
    # Offscreen drawing needs no display; keep SDL from looking for one.
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    return pygame


def draw_frame(surface, walker, stumps: list[Stump], width: int, height: int, polygons=()):
    """Draw the view that follows ``walker``; return ``(rgb array (height, width, 3), surface)``.

    :param surface: a reusable ``pygame.Surface`` of size ``(width, height)`` or ``None``.
    :param polygons: other obstacles, each a list of world ``(x, y)`` points (Hexagon Tracks).
    """
    pygame = _pygame()
    if surface is None:
        surface = pygame.Surface((width, height))
    scroll = walker.hull.position[0] - width / SCALE / 5  # left edge of the view (m)

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (x - scroll) * SCALE, height - y * SCALE

    surface.fill(SKY)
    ground_top = to_px(0.0, GROUND_Y)[1]
    pygame.draw.rect(surface, GROUND, (0, ground_top, width, height - ground_top))
    x_end = to_px(TRACK_LENGTH, 0.0)[0]
    if x_end < width:
        pygame.draw.rect(surface, SKY, (x_end, ground_top, width - x_end, height - ground_top))
    for s in stumps:
        left, top = to_px(s.x, GROUND_Y + s.height)
        w = s.width * SCALE
        if left + w < 0 or left > width:
            continue
        pygame.draw.rect(surface, STUMP, (left, top, w, s.height * SCALE + 1))
    for poly in polygons:
        points = [to_px(x, y) for x, y in poly]
        if max(p[0] for p in points) < 0 or min(p[0] for p in points) > width:
            continue
        pygame.draw.polygon(surface, STUMP, points)
    draw_body(surface, walker, to_px)
    frame = np.transpose(pygame.surfarray.array3d(surface), (1, 0, 2))
    return np.ascontiguousarray(frame), surface


def draw_body(surface, body, to_px, scale: float = SCALE) -> None:
    """Draw an :class:`envs.bodies.Body` (parts by layer, then grip sensors) on ``surface``.

    :param to_px: maps world metres ``(x, y)`` to surface pixels.
    :param scale: pixels per metre (for circles' radii).
    """
    pygame = _pygame()
    attached = {id(s) for i, s in enumerate(body.sensors) if body.attached(i)}
    for palette, part in body.draw_list():
        if palette == "sensor" and id(part) in attached:
            palette = "sensor_attached"
        fill, outline = PALETTES[palette]
        transform = part.transform
        for fixture in part.fixtures:
            shape = fixture.shape
            if isinstance(shape, b2.circleShape):
                center = to_px(*(transform * shape.pos))
                radius = max(2, round(shape.radius * scale))
                pygame.draw.circle(surface, fill, center, radius)
                continue
            points = [to_px(*(transform * v)) for v in shape.vertices]
            pygame.draw.polygon(surface, fill, points)
            pygame.draw.polygon(surface, outline, points, width=1)


def body_portrait(name: str, width: int = 240, height: int = 200, settle_steps: int = 10) -> np.ndarray:
    """An RGB frame ``(height, width, 3)`` of body ``name`` on flat ground, for the docs: climbers
    hang from a graspable bar (their grip sensors start inside it), the fish floats where it starts.

    The motors hold their initial angles for ``settle_steps`` steps (a proportional controller),
    so BipedalWalker-built legs snap into place; climbers grasp the bar at once.
    """
    from Box2D.b2 import edgeShape, fixtureDef, polygonShape

    from envs.bodies import get_body
    from envs.bodies.body import Body, BodyContactListener, FixtureTag

    pygame = _pygame()
    spec = get_body(name)
    ground_y = 0.5
    world = b2.world()
    world.CreateStaticBody().CreateFixture(
        fixtureDef(shape=edgeShape(vertices=[(-20, ground_y), (20, ground_y)]), friction=2.5))
    y0 = ground_y + spec.center_height
    bar = None  # (x, y, half width, half height)
    if spec.sensors:
        y0 += 0.3  # hang clear of the ground
        bar_y = max(s.position[1] for s in Body(b2.world(), spec, 0.0, y0).sensors)
        bar = (0.0, bar_y, 1.5, 0.05)
        world.CreateStaticBody().CreateFixture(fixtureDef(
            shape=polygonShape(box=(bar[2], bar[3], (bar[0], bar[1]), 0.0)),
            userData=FixtureTag("bar", graspable=True)))
    body = Body(world, spec, 0.0, y0, hull_critical=False)
    world.contactListener = BodyContactListener(body)
    targets = [m.angle for m in body.motors]
    action = np.zeros(spec.action_dim)
    action[len(body.motors):] = 1.0  # grasp
    for _ in range(0 if spec.kind == "swimmer" else settle_steps):
        for i, (motor, target) in enumerate(zip(body.motors, targets, strict=True)):
            action[i] = np.clip(5.0 * (target - motor.angle), -1.0, 1.0)
        body.apply_action(action)
        world.Step(1 / 50, 180, 60)
        body.update_grasps()

    scale = 1.5 * SCALE
    xs = [p.position[0] for p in body.bodies]
    top = max(p.position[1] for p in body.bodies) + 0.6
    bottom = min(ground_y - 0.3, top - height / scale) if bar is None else top - height / scale
    cx = (min(xs) + max(xs)) / 2

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (x - cx) * scale + width / 2, height - (y - bottom) * scale

    surface = pygame.Surface((width, height))
    surface.fill(SKY)
    gy = to_px(0.0, ground_y)[1]
    pygame.draw.rect(surface, GROUND, (0, gy, width, height - gy))
    if bar is not None:
        left, bar_top = to_px(bar[0] - bar[2], bar[1] + bar[3])
        pygame.draw.rect(surface, STUMP, (left, bar_top, 2 * bar[2] * scale, 2 * bar[3] * scale))
    draw_body(surface, body, to_px, scale)
    frame = np.transpose(pygame.surfarray.array3d(surface), (1, 0, 2))
    return np.ascontiguousarray(frame)
