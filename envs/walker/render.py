"""Offscreen pygame drawing of a walker on its track, returned as an RGB array."""

from __future__ import annotations

import os

import numpy as np

from envs.walker.terrain import GROUND_Y, SCALE, TRACK_LENGTH, Stump

__all__ = ["draw_frame"]

SKY = (215, 215, 255)
GROUND = (102, 153, 76)
STUMP = (140, 100, 60)
HULL = ((127, 51, 229), (76, 76, 127))
LEG_NEAR = ((178, 101, 152), (127, 76, 101))
LEG_FAR = ((128, 51, 102), (77, 26, 51))


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
    # Far legs first, then near legs, then the hull.
    far = walker.segments[0::2]
    near = walker.segments[1::2]
    for segments, colors in ((far, LEG_FAR), (near, LEG_NEAR)):
        for seg in segments:
            for body in seg:
                _draw_body(pygame, surface, body, colors, to_px)
    _draw_body(pygame, surface, walker.hull, HULL, to_px)
    frame = np.transpose(pygame.surfarray.array3d(surface), (1, 0, 2))
    return np.ascontiguousarray(frame), surface


def _draw_body(pygame, surface, body, colors, to_px) -> None:
    transform = body.transform
    for fixture in body.fixtures:
        points = [to_px(*(transform * v)) for v in fixture.shape.vertices]
        pygame.draw.polygon(surface, colors[0], points)
        pygame.draw.polygon(surface, colors[1], points, width=1)
