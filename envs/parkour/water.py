"""Water forces on the agent's bodies (TeachMyAgent's ``Box2D_dynamics/water_dynamics.py``).

TeachMyAgent takes them from iforce2d's buoyancy tutorial, plus its own "push" force. The water is
everything below the surface ``y = water_y`` (its box spans the whole track), so the submerged
part of a convex fixture is the fixture clipped by that half-plane. For each submerged part of
area ``A`` and centroid ``C`` (water density ``rho = 1``):

- buoyancy ``rho A (-g)`` at ``C``;
- for each edge (length ``L``, outward normal ``n``, edge direction ``e``) whose midpoint moves
  at speed ``|v|`` in direction ``u`` with ``d = n . u >= 0`` (a leading edge): drag
  ``min(0.25 d L rho |v|^2, 2000)`` along ``-u`` and lift ``min(0.25 d (e . u) L rho |v|^2, 500)``
  along ``u`` rotated by +90 degrees;
- push: for a body driven by a motor joint (as its second body) inside its limits, with motor
  torque ``tau`` and ``I w`` its angular momentum, and ``f = (C_body - anchor) x (-tau)``, each
  edge with ``p = n . f > 0`` adds ``0.05 p L rho (tau + I w)^2 (-f)``, clipped to ``+-20`` per
  component, at the joint's anchor.
"""

from __future__ import annotations

import math

__all__ = ["WaterForces", "clip_below"]

DRAG_MOD = 0.25
LIFT_MOD = 0.25
PUSH_MOD = 0.05
MAX_DRAG = 2000.0
MAX_LIFT = 500.0
MAX_PUSH = 20.0
WATER_DENSITY = 1.0


def clip_below(points: list[tuple[float, float]], level: float) -> list[tuple[float, float]]:
    """The part of the polygon ``points`` (counter-clockwise) below ``y = level``."""
    out = []
    n = len(points)
    for i in range(n):
        x0, y0 = points[i - 1]
        x1, y1 = points[i]
        in0, in1 = y0 <= level, y1 <= level
        if in0 != in1:
            t = (level - y0) / (y1 - y0)
            out.append((x0 + t * (x1 - x0), level))
        if in1:
            out.append((x1, y1))
    return out


def _area_centroid(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    area = cx = cy = 0.0
    x0, y0 = points[-1]
    for x1, y1 in points:
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
        x0, y0 = x1, y1
    area *= 0.5
    if area <= 1e-12:
        return 0.0, 0.0, 0.0
    return area, cx / (6 * area), cy / (6 * area)


def _edge_forces(
    edges, ox: float, oy: float, c: float, s: float, vx0: float, vy0: float, w: float, pushes, cx: float, cy: float
) -> tuple[float, float, float]:
    """Drag, lift and push on a body's submerged edges, summed: ``(f_x, f_y, torque)`` about
    the centre of mass ``(cx, cy)``.

    :param edges: per edge ``(m_x, m_y, d_x, d_y, length)``: its midpoint and unit direction
        (polygons counter-clockwise) in a frame that the rotation ``(c, s)`` (cosine, sine) and
        then the offset ``(ox, oy)`` map to world coordinates relative to the centre of mass:
        a body's own frame for a wholly submerged body, the world frame (``c=1, s=0``, offset
        ``-(cx, cy)``) for a clipped one.
    :param vx0: the body's linear velocity, x.
    :param vy0: the body's linear velocity, y.
    :param w: the body's angular velocity.
    :param pushes: :meth:`WaterForces._push_vector` of each motor pushing the body.
    """
    rho = WATER_DENSITY
    fx_sum = fy_sum = torque_sum = 0.0
    for mx, my, dx, dy, length in edges:
        rx, ry = ox + c * mx - s * my, oy + s * mx + c * my
        ex, ey = c * dx - s * dy, s * dx + c * dy
        nx, ny = ey, -ex  # outward normal of a counter-clockwise polygon
        vx, vy = vx0 - w * ry, vy0 + w * rx
        speed = math.hypot(vx, vy)
        if speed > 1e-9:
            ux, uy = vx / speed, vy / speed
            d = nx * ux + ny * uy
            if d >= 0.0:
                k = d * length * rho * speed * speed
                drag = min(DRAG_MOD * k, MAX_DRAG)
                lift = min(LIFT_MOD * k * (ex * ux + ey * uy), MAX_LIFT)
                fx, fy = -drag * ux - lift * uy, -drag * uy + lift * ux
                fx_sum += fx
                fy_sum += fy
                torque_sum += rx * fy - ry * fx
        for (pfx, pfy, scale, anchor_x, anchor_y) in pushes:
            p = nx * pfx + ny * pfy
            if p <= 0.0:
                continue
            mag = scale * p * length
            fx = max(-MAX_PUSH, min(MAX_PUSH, -mag * pfx))
            fy = max(-MAX_PUSH, min(MAX_PUSH, -mag * pfy))
            fx_sum += fx
            fy_sum += fy
            torque_sum += (anchor_x - cx) * fy - (anchor_y - cy) * fx
    return fx_sum, fy_sum, torque_sum


class WaterForces:
    """Applies the water forces to a fixed set of Box2D bodies; one instance per episode.

    Every force of a body is summed into one force at its centre of mass plus a torque (the same
    motion as applying each at its point, with two Box2D calls per body instead of one per edge).

    :param gravity: the world's gravity ``(gx, gy)``.
    :param bodies: the bodies (their polygon fixtures, sensors excepted, get the forces).
    """

    def __init__(self, gravity: tuple[float, float], bodies) -> None:
        self.gravity = (float(gravity[0]), float(gravity[1]))
        self._entries = []
        for body in bodies:
            polygons = [
                [(float(v[0]), float(v[1])) for v in fixture.shape.vertices]
                for fixture in body.fixtures
                if not fixture.sensor and hasattr(fixture.shape, "vertices")
            ]
            joints = [
                edge.joint for edge in body.joints if edge.joint.bodyB == body and hasattr(edge.joint, "motorSpeed")
            ]
            if polygons:
                # Farthest vertex from the body's origin: the body is dry when its origin is
                # this much above the surface, and wholly under water this much below it.
                radius = max(math.hypot(x, y) for poly in polygons for x, y in poly)
                self._entries.append((body, polygons, joints, radius, self._local_table(polygons)))

    @staticmethod
    def _local_table(polygons) -> tuple:
        """A wholly submerged body's constants in its own frame: total area, area centroid,
        and per edge (midpoint x, y, unit direction x, y, length)."""
        total = sx = sy = 0.0
        edges = []
        for poly in polygons:
            area, cx, cy = _area_centroid(poly)
            total += area
            sx += area * cx
            sy += area * cy
            for i in range(len(poly)):
                (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % len(poly)]
                length = math.hypot(x1 - x0, y1 - y0)
                if length > 1e-12:
                    edges.append((0.5 * (x0 + x1), 0.5 * (y0 + y1), (x1 - x0) / length, (y1 - y0) / length, length))
        centroid = (sx / total, sy / total) if total > 0 else (0.0, 0.0)
        return total, centroid, edges

    def apply(self, water_y: float, fps: float) -> bool:
        """Apply buoyancy, drag, lift and push to the submerged parts; return whether any part is
        submerged.

        :param water_y: the water surface.
        :param fps: simulation frequency (motor impulse to torque).
        """
        any_wet = False
        rho = WATER_DENSITY
        gx, gy = self.gravity
        for body, polygons, joints, radius, table in self._entries:
            bx, by = body.position
            if by - radius > water_y:
                continue
            if by + radius <= water_y:
                self._apply_submerged(body, joints, table, fps)
                any_wet = True
                continue
            angle = body.angle
            c, s = math.cos(angle), math.sin(angle)
            points = [[(bx + c * x - s * y, by + s * x + c * y) for x, y in poly] for poly in polygons]
            if min(p[1] for poly in points for p in poly) > water_y:
                continue
            vx0, vy0 = body.linearVelocity
            w = body.angularVelocity
            cx, cy = body.worldCenter
            pushes = [p for p in (self._push_vector(body, j, fps) for j in joints) if p is not None]
            fx_sum = fy_sum = torque_sum = 0.0
            for world_pts in points:
                part = clip_below(world_pts, water_y)
                if len(part) < 3:
                    continue
                area, ax, ay = _area_centroid(part)
                if area <= 0.0:
                    continue
                any_wet = True
                fx, fy = -rho * area * gx, -rho * area * gy
                fx_sum += fx
                fy_sum += fy
                torque_sum += (ax - cx) * fy - (ay - cy) * fx
                edges = []
                n = len(part)
                for i in range(n):
                    (x0, y0), (x1, y1) = part[i], part[(i + 1) % n]
                    length = math.hypot(x1 - x0, y1 - y0)
                    if length > 1e-12:
                        edges.append((0.5 * (x0 + x1), 0.5 * (y0 + y1), (x1 - x0) / length, (y1 - y0) / length, length))
                fx, fy, torque = _edge_forces(edges, -cx, -cy, 1.0, 0.0, vx0, vy0, w, pushes, cx, cy)
                fx_sum += fx
                fy_sum += fy
                torque_sum += torque
            if fx_sum or fy_sum or torque_sum:
                body.ApplyForceToCenter((fx_sum, fy_sum), True)
                body.ApplyTorque(torque_sum, True)
        return any_wet

    def _apply_submerged(self, body, joints, table, fps: float) -> None:
        """The forces on a wholly submerged body, from its constant local table (the same
        forces as the per-polygon path, without clipping)."""
        rho = WATER_DENSITY
        gx, gy = self.gravity
        area, (lcx, lcy), edges = table
        bx, by = body.position
        angle = body.angle
        c, s = math.cos(angle), math.sin(angle)
        vx0, vy0 = body.linearVelocity
        w = body.angularVelocity
        cx, cy = body.worldCenter
        pushes = [p for p in (self._push_vector(body, j, fps) for j in joints) if p is not None]
        fx_sum, fy_sum = -rho * area * gx, -rho * area * gy
        ax, ay = bx + c * lcx - s * lcy, by + s * lcx + c * lcy
        torque_sum = (ax - cx) * fy_sum - (ay - cy) * fx_sum
        fx, fy, torque = _edge_forces(edges, bx - cx, by - cy, c, s, vx0, vy0, w, pushes, cx, cy)
        fx_sum += fx
        fy_sum += fy
        torque_sum += torque
        body.ApplyForceToCenter((fx_sum, fy_sum), True)
        body.ApplyTorque(torque_sum, True)

    @staticmethod
    def _push_vector(body, joint, fps: float):
        """``(f_x, f_y, 0.05 rho (tau + I w)^2, anchor_x, anchor_y)`` of a motor joint inside its
        limits, or ``None``."""
        if not (joint.lowerLimit < joint.angle < joint.upperLimit):
            return None
        torque = joint.GetMotorTorque(fps)
        ang_momentum = body.inertia * body.angularVelocity
        cx, cy = body.worldCenter
        ax, ay = joint.anchorB
        lx, ly = cx - ax, cy - ay
        # lever x (-torque), with b2Cross(v, s) = (s v.y, -s v.x)
        fx, fy = -torque * ly, torque * lx
        return fx, fy, PUSH_MOD * WATER_DENSITY * (torque + ang_momentum) ** 2, ax, ay
