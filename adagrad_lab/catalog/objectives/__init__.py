"""The built-in objectives, one module each: its record (`RECORD`: box, dimension rule,
known minimum, summary) beside its jitted block evaluator. Every module of this folder
but `parts`, `learning` and `full_batch` (what the learning problems share) is an objective;
`records` finds them, in the order of their names."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adagrad_lab.catalog.records import Objective

NOT_FUNCTIONS = frozenset({"parts", "learning", "full_batch"})


def records() -> tuple[Objective, ...]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_FUNCTIONS)
    return tuple(importlib.import_module(f"{__name__}.{n}").RECORD for n in names)
