"""The update rules, one module each: its record (`RECORD`: hyperparameters with named
rows, defaults, bounds, formula, reference) beside its jitted functions. Every module of
this folder but `parts` is a rule; `records` finds them, in the order of their names."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adagrad_lab.catalog.records import Optimizer

NOT_RULES = frozenset({"parts"})


def records() -> tuple[Optimizer, ...]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_RULES)
    return tuple(importlib.import_module(f"{__name__}.{n}").RECORD for n in names)
