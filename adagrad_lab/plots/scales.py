"""Value axes that show everything: log or linear by the data's span, a floor for
zeros, a ceiling for +inf, bands and divergence marks drawn on them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from adagrad_lab.plots.style import BAND_ALPHA, GREY, HUGE, Array


@dataclass(frozen=True)
class _Range:
    """Where values go on a value axis: the floor and the ceiling for 0 and +inf."""

    log: bool
    floor: float
    ceiling: float
    bottom: float
    top: float
    clipped: bool  # some value is drawn at the floor
    diverged: bool  # some value is +inf
    beyond: bool = False  # some finite value lies above the ceiling and is drawn at it

    def y(self, values: Array) -> Array:
        out = np.array(values, np.float64)
        if self.log:
            out[out <= self.floor] = self.floor
            out[np.isfinite(out) & (out > HUGE)] = HUGE
        out[np.isposinf(out) | (out > self.ceiling)] = self.ceiling  # beyond the axis too
        out[np.isneginf(out)] = self.bottom
        return out

    def decorate(self, ax: Axes) -> list[Artist]:
        """Scale and limits; the floor and ceiling lines, returned for the legend."""
        if self.log:
            ax.set_yscale("log")
        ax.set_ylim(self.bottom, self.top)
        marks: list[Artist] = []
        if self.clipped:
            marks.append(
                ax.axhline(
                    self.floor,
                    color=GREY,
                    linestyle="--",
                    linewidth=1.2,
                    label=f"<= {self.floor:g} (floor)",
                    gid="floor",
                )
            )
        if self.diverged:
            marks.append(
                ax.axhline(
                    self.ceiling,
                    color=GREY,
                    linestyle=":",
                    linewidth=1.4,
                    label="+inf (diverged) or off the scale" if self.beyond else "+inf (diverged)",
                    gid="ceiling",
                )
            )
        return marks


def _value_range(values: Array, floor: float, log: bool | None) -> _Range:
    v = np.asarray(values, np.float64).ravel()
    v = v[~np.isnan(v)]
    finite = v[np.isfinite(v)]
    diverged = bool(np.isposinf(v).any())
    positive = finite[finite > floor]
    if log is None:
        log = finite.size > 0 and finite.min() >= 0 and _spans_decade(positive)
    if log:
        clipped = bool((finite <= floor).any())
        low = float(positive.min()) if positive.size else floor
        high = float(positive.max()) if positive.size else max(floor * 100, 1.0)
        low, high = min(low, HUGE), min(high, HUGE)
        low = min(low, floor) if clipped else low
        ceiling = high * 10
        return _Range(
            True, floor, ceiling, low / 3, (ceiling if diverged else high) * 3, clipped, diverged
        )
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    span = high - low or abs(high) or 1.0
    ceiling = high + 0.15 * span
    top = (ceiling if diverged else high) + 0.06 * span
    return _Range(False, floor, ceiling, low - 0.06 * span, top, False, diverged)


def _scaled_range(values: Array, scaled: Array, floor: float, log: bool | None) -> _Range:
    """The range of ``scaled`` (a part of ``values``), with a ceiling for the rest of
    ``values`` that lies above it (+inf, or finite and off the scale)."""
    r = _value_range(scaled, floor, log)
    v = np.asarray(values, np.float64)
    off = bool((np.isfinite(v) & (v > r.ceiling)).any())
    if not off and (r.diverged or not np.isposinf(v).any()):
        return r
    ceiling = _value_range(np.append(np.ravel(scaled), np.inf), floor, r.log)
    return dataclasses.replace(ceiling, beyond=off)


def _spans_decade(values: Array) -> bool:
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    return v.size > 0 and float(v.max()) >= 10 * float(v.min())


def _fill_band(ax: Axes, x: Array, low: pd.Series, high: pd.Series, r: _Range, color: str) -> None:
    """The quantile band between ``low`` and ``high``, floor and ceiling applied."""
    ax.fill_between(
        x,
        r.y(low.to_numpy(np.float64)),
        r.y(high.to_numpy(np.float64)),
        color=color,
        alpha=BAND_ALPHA,
        linewidth=0,
        gid="band",
    )


def _mark_inf(ax: Axes, x: Array, values: Array, r: _Range, color: str, first_only: bool) -> bool:
    """An X at the ceiling where ``values`` is +inf (only where it first becomes so, with
    ``first_only``: a curve over iterations stays diverged); whether there is one."""
    inf = np.isposinf(values)
    if not inf.any():
        return False
    at = x[[int(np.argmax(inf))]] if first_only else x[inf]
    ax.scatter(
        at,
        np.full(len(at), r.ceiling),
        marker="X",
        s=90,
        color=color,
        edgecolors="black",
        linewidths=0.8,
        zorder=4,
        clip_on=False,
        gid="diverged",
    )
    return True


def _limits(ax: Axes, x: Array, log: bool) -> None:
    """x limits that matplotlib cannot get wrong: a single value, or log with values <= 0."""
    v = np.asarray(x, np.float64)
    v = v[np.isfinite(v) & ((v > 0) if log else True)]
    if v.size == 0:
        return
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        ax.set_xlim(lo / 2, hi * 2) if log else ax.set_xlim(lo - 1, hi + 1)
    elif log:
        ax.set_xlim(lo / 1.25, hi * 1.25)
