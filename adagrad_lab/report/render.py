"""Writing a report's figures, each once per format, on the spare cores while the report
computes the next one.

Drawing a figure (building it from its frame, then layout, drawing, encoding) is most of
a report's time, and matplotlib's drawing is mostly Python, which holds the GIL (two
threads overlapped 15% of it, two processes 33%). Where `os.fork` exists and the process
may use a second core, each figure is drawn in a forked child process while the report
goes on: given as a function that builds it (`Build`), the child builds it too, so that
the report hands it over at once and up to one child per core runs; given as a figure,
the child has it without copying it, and with every spare core busy the report draws it
itself. The mathtext grammar is built once, before the first child, which every child
then has (the parsed labels are not: see `plots.style`). A child that fails has its
figure drawn again in the report's process, so that the error is raised there. With one
core, or no `os.fork` (Windows), every figure is drawn in the process itself.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from adagrad_lab.plots.style import warm_up

PNG_DPI = 90

Build = Callable[[], Figure]  # a figure not built yet: the child that renders it builds it

Save = Callable[[Figure | Build, str, str], None]  # Shelf.save, as the report's parts call it

POLL_S = 0.005  # how often a report waiting for a free core looks at its children


def save_png(figure: Figure, path: Path) -> None:
    """Write ``figure`` as a PNG at `PNG_DPI`, laid out once, as ``savefig`` would write it.

    ``savefig`` of a figure with a layout engine walks every artist twice, once without
    drawing to lay the figure out and once to draw it: laying it out here at the PNG's dpi
    and saving it without its engine leaves out the first walk (13% of a report's time,
    serial) and writes the same bytes.
    """
    engine, dpi = figure.get_layout_engine(), figure.dpi
    try:
        figure.dpi = PNG_DPI
        if engine is not None:
            engine.execute(figure)
            figure.set_layout_engine(None)
        figure.savefig(path, dpi=PNG_DPI)
    finally:
        figure.dpi = dpi
        if engine is not None:
            figure.set_layout_engine(engine)


def spare_cores() -> int:
    """The cores this process may use, less its own: how many figures render beside it."""
    if not hasattr(os, "fork"):
        return 0
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return max(0, (len(usable) if usable is not None else os.cpu_count() or 1) - 1)


@dataclass
class Shelf:
    """Where the figures go: (stem, caption) in page order, each figure written once per
    format, the last of them by `finish`."""

    out: Path
    formats: tuple[str, ...]
    spare: int = field(default_factory=lambda: spare_cores())  # looked up when made
    figures: list[tuple[str, str]] = field(default_factory=list)
    _running: dict[int, tuple[Figure | Build, str]] = field(default_factory=dict)
    _warm: bool = False

    def save(self, fig: Figure | Build, stem: str, caption: str) -> None:
        """Write ``fig`` (or the figure it builds) as ``stem`` in every format, in a child
        process where a core is free."""
        self.figures.append((stem, caption))
        self._reap(wait=False)
        if self.spare and not self._warm:  # once, so that no child builds the grammar again
            warm_up()
            self._warm = True
        if isinstance(fig, Figure) and len(self._running) >= self.spare:
            self._render(fig, stem)
            return
        while self.spare and len(self._running) > self.spare:  # a core each, this one's too
            time.sleep(POLL_S)
            self._reap(wait=False)
        if self.spare and (pid := self._fork(fig, stem)):
            self._running[pid] = (fig, stem)
        else:
            self._render(fig, stem)

    def finish(self) -> None:
        """Wait for the figures rendering in child processes; render the failed ones here."""
        self._reap(wait=True)

    def _render(self, fig: Figure | Build, stem: str) -> None:
        figure = fig if isinstance(fig, Figure) else fig()
        for ext in self.formats:
            if ext == "png":
                save_png(figure, self.out / f"{stem}.png")
            else:
                figure.savefig(self.out / f"{stem}.{ext}", dpi="figure")

    def _fork(self, fig: Figure | Build, stem: str) -> int:
        """A child process rendering ``fig`` (its pid; 0 where none could start)."""
        try:
            with warnings.catch_warnings():  # Python 3.12+ warns of threads (numba's, arrow's)
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:
            return 0
        if pid == 0:  # the child: render, then leave without running the parent's exit code
            code = 1
            try:
                self._render(fig, stem)
                code = 0
            finally:
                os._exit(code)
        return pid

    def _reap(self, wait: bool) -> None:
        """Collect the children that ended (all of them with ``wait``), rendering here the
        figure of each that failed."""
        for pid in list(self._running):
            done, status = os.waitpid(pid, 0 if wait else os.WNOHANG)
            if done:
                fig, stem = self._running.pop(pid)
                if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                    self._render(fig, stem)
