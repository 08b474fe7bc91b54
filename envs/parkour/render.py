"""Offscreen pygame drawing of Parkour: sky, ground, ceiling, creepers, the agent and the water."""

from __future__ import annotations

import numpy as np

from envs.walker.render import _pygame, draw_body
from envs.walker.terrain import GROUND_Y, SCALE

__all__ = ["draw_parkour"]

SKY = (230, 230, 255)
GROUND = (102, 153, 76)
GRASS = (76, 230, 76)
CEILING = (128, 128, 128)
ROCK = (0, 64, 64)
CREEPER = (111, 128, 96)
WATER = (119, 172, 229)


def draw_parkour(surface, env, width: int, height: int):
    """Draw the view that follows ``env.agent``'s head; return ``(rgb (height, width, 3), surface)``.

    :param surface: a reusable ``pygame.Surface`` of size ``(width, height)`` or ``None``.
    """
    pygame = _pygame()
    if surface is None:
        surface = pygame.Surface((width, height))
    head = env.agent.head.position
    scroll_x = head[0] - width / SCALE / 5
    scroll_y = head[1] - height / SCALE / 5 - GROUND_Y  # TeachMyAgent's vertical scroll

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (x - scroll_x) * SCALE, height - (y - scroll_y) * SCALE

    surface.fill(SKY)
    profile = env.profile
    x0, x1 = scroll_x - 1.0, scroll_x + width / SCALE + 1.0
    keep = (profile.x >= x0) & (profile.x <= x1)
    idx = np.flatnonzero(keep)
    if idx.size >= 2:
        xs = profile.x[idx]
        bottom, top = scroll_y - 1.0, scroll_y + height / SCALE + 1.0
        ground = [to_px(x, y) for x, y in zip(xs, profile.ground[idx], strict=True)]
        ceiling = [to_px(x, y) for x, y in zip(xs, profile.ceiling[idx], strict=True)]
        pygame.draw.polygon(surface, GROUND, ground + [to_px(xs[-1], bottom), to_px(xs[0], bottom)])
        pygame.draw.lines(surface, GRASS, False, ground, 3)
        pygame.draw.polygon(surface, CEILING, ceiling + [to_px(xs[-1], top), to_px(xs[0], top)])
        pygame.draw.lines(surface, ROCK, False, ceiling, 3)
    for c in env.creepers:
        if c.x + c.width < x0 or c.x > x1:
            continue
        left, top_px = to_px(c.x, c.top)
        pygame.draw.rect(surface, CREEPER, (left, top_px, c.width * SCALE, c.height * SCALE))
    draw_body(surface, env.agent, to_px)
    water_top = to_px(0.0, env.water_y)[1]
    if water_top < height:
        water = pygame.Surface((width, height - max(0, int(water_top))), pygame.SRCALPHA)
        water.fill((*WATER, 130))
        surface.blit(water, (0, max(0, int(water_top))))
    frame = np.transpose(pygame.surfarray.array3d(surface), (1, 0, 2))
    return np.ascontiguousarray(frame), surface
