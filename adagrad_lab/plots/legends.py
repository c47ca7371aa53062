"""A figure's legend entries for its curves, gathered panel by panel: one per curve, in the
order of its groups, saying the step size each curve was drawn at where it has one."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from adagrad_lab.plots.labels import _Groups, _step_of, _with_step
from adagrad_lab.plots.style import Entry, _panel_steps


@dataclass
class _Legend:
    """The entries of the curves of ``groups``: the first line drawn of each, its text the
    group's label, with its step size when ``groups.step`` ("AdaGrad (step 0.0316)").

    A curve whose step size differs from panel to panel reads "(step per panel)" in
    the figure's legend, and each panel gets a small legend of its curves' steps.
    """

    groups: _Groups
    handles: dict[str, Artist] = field(default_factory=dict)
    steps: dict[str, list[float]] = field(default_factory=dict)
    drawn: list[tuple[Axes, str, Artist, float]] = field(default_factory=list)

    def add(self, ax: Axes, label: str, line: Artist, rows: pd.DataFrame) -> None:
        """Line ``line`` of the curve ``label`` drawn on ``ax`` from ``rows``."""
        self.handles.setdefault(label, line)
        if not self.groups.step:
            return
        step = _step_of(rows)
        self.steps.setdefault(label, []).append(step)
        self.drawn.append((ax, label, line, step))
        line.set_label(_with_step(label, [step]))

    def entries(self) -> list[Entry]:
        """The figure legend's entries, in the order of the groups; each panel's step
        legend drawn where a curve's step size differs between panels."""
        varying = {label for label, steps in self.steps.items() if len(set(steps)) > 1}
        for ax in dict.fromkeys(ax for ax, _, _, _ in self.drawn):
            _panel_steps(
                ax,
                [
                    (line, f"step {step:.3g}")
                    for on, label, line, step in self.drawn
                    if on is ax and label in varying
                ],
            )
        return [
            (
                self.handles[label],
                _with_step(label, self.steps[label]) if label in self.steps else label,
            )
            for label in self.groups.labels
            if label in self.handles
        ]
