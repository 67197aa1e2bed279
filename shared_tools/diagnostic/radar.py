"""The radar chart's geometry, computed here and written by the template as SVG attributes (no
script, no style attribute: the CSP forbids both)."""

from __future__ import annotations

import math
from dataclasses import dataclass

SIZE = 360
CENTRE = SIZE / 2
RADIUS = 110
RINGS = (25, 50, 75, 100)


@dataclass(frozen=True)
class Axis:
    label: str
    score: int | None
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str


@dataclass(frozen=True)
class Radar:
    size: int
    centre: float
    axes: list[Axis]
    rings: list[str]
    points: str
    previous_points: str


def _point(index: int, count: int, value: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    distance = RADIUS * value / 100
    return CENTRE + distance * math.cos(angle), CENTRE + distance * math.sin(angle)


def _polygon(values: list[float]) -> str:
    return " ".join("{:.1f},{:.1f}".format(*_point(i, len(values), v)) for i, v in enumerate(values))


def radar(labels: list[str], scores: list[int], previous: list[int | None] | None = None) -> Radar:
    """One axis per dimension, clockwise from the top; `previous` draws the last assessment too."""
    count = len(labels)
    axes = []
    for i, (label, value) in enumerate(zip(labels, scores, strict=True)):
        x, y = _point(i, count, 100)
        lx, ly = _point(i, count, 118)
        anchor = "middle" if abs(lx - CENTRE) < 1 else ("start" if lx > CENTRE else "end")
        axes.append(Axis(label=label, score=value, x=x, y=y, label_x=lx, label_y=ly + 4, anchor=anchor))
    previous_points = ""
    if previous is not None and all(v is not None for v in previous):
        previous_points = _polygon([float(v or 0) for v in previous])
    return Radar(
        size=SIZE,
        centre=CENTRE,
        axes=axes,
        rings=[_polygon([ring] * count) for ring in RINGS],
        points=_polygon([float(v) for v in scores]),
        previous_points=previous_points,
    )
