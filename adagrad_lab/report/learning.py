"""What the report adds for a learning problem (docs/learning.md): the data set in the page's
header, convergence in f - f* where f* is known, and curves of the optional history
columns (held-out error, regret, f at the Polyak average) drawn like the convergence figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adagrad_lab import analysis
from adagrad_lab.store import parquet as storage
from adagrad_lab.store.results import Results


@dataclass(frozen=True)
class Extra:
    """An optional history column the report draws against iterations."""

    column: str  # in the history
    value: str  # what `analysis.convergence` subtracts: "f" nothing, "gap" f*
    label: str  # the figure's value axis
    title: str
    caption: str
    # None: a log axis where the values span a decade; False for a share that reaches
    # exactly 0 on some seeds (a log axis would send its band to the floor)
    logy: bool | None = None

    def drawn(self, traj: pd.DataFrame) -> tuple[str, str, str]:
        """The value subtracted, the axis label and the caption for ``traj``: f - f* only
        where `value_of` draws f so (every f* known), else the column as recorded."""
        if self.value == "gap" and value_of(traj) != "gap":
            caption = self.caption.replace("f - f* ", "f ", 1) + " (f* is not known for all)"
            return "f", self.label.removesuffix(" - f*"), caption
        return self.value, self.label, self.caption


# in page order; each drawn when every job's history has the column
EXTRAS = (
    Extra(
        "test_error",
        "f",
        "held-out error",
        "Held-out error",
        "Held-out error (record.test): median across seeds per iteration of the share of "
        "held-out samples misclassified (logistic) or the root mean squared error (least "
        "squares), 25-75% band",
        logy=False,
    ),
    Extra(
        "regret",
        "f",
        "cumulative regret",
        "Regret",
        "Cumulative regret (record.regret): median across seeds of the sum over iterations of "
        "f_t(x_t) - f_t(x*) on each iteration's sampled loss, 25-75% band (negative values, "
        "possible on minibatches, at the floor)",
    ),
    Extra(
        "f_avg",
        "gap",
        "f(Polyak average) - f*",
        "f at the Polyak average",
        "f - f* at the Polyak average of the iterates (record.average): median across seeds "
        "per iteration, 25-75% band",
    ),
)


def value_of(traj: pd.DataFrame) -> str:
    """How the figures draw f: "gap" (f - f*) where every trajectory's f* is known and one is
    not 0 (a learning problem's optimum), else "f" (f* = 0 draws the same curves as f)."""
    if "f_star" not in traj or traj.empty:
        return "f"
    fstar = traj["f_star"].to_numpy(np.float64, na_value=np.nan)
    return "gap" if bool(np.isfinite(fstar).all() and (fstar != 0).any()) else "f"


def datasets(res: Results) -> list[str]:
    """One line per data set of the runs' learning problems (from each manifest's ``data``):
    'sklearn:breast_cancer: 456 training samples, 113 held out, 30 features, density 0.995,
    dense, f* 0.1049 (l2 0.001)'; none for a test function."""
    lines = [_dataset(job.manifest["data"]) for job in res.jobs if job.manifest.get("data")]
    return list(dict.fromkeys(lines))


def _dataset(data: dict[str, Any]) -> str:
    parts = [
        f"{int(data['n_train'])} training samples",
        f"{int(data.get('n_test') or 0)} held out",
        f"{int(data['n_features'])} features",
        f"density {float(data['density']):.3g}",
        "sparse" if data.get("sparse") else "dense",
    ]
    fstar = data.get("f_star") or {}
    known = [f"{v:.4g} (l2 {k})" for k, v in fstar.items() if v is not None and np.isfinite(v)]
    if known:
        parts.append("f* " + ", ".join(known))
    return f"{data.get('name') or data.get('source')}: " + ", ".join(parts)


def extras(res: Results) -> list[Extra]:
    """The `EXTRAS` whose column every job's history holds."""
    found = [set(storage.column_names(job.paths[0], storage.HISTORY) or ()) for job in res.jobs]
    held = set.intersection(*found) if found else set()
    return [e for e in EXTRAS if e.column in held]


def curves(
    res: Results,
    traj: pd.DataFrame,
    iters: Sequence[int],
    extra: Extra,
    by: Sequence[str],
    value: str,
) -> pd.DataFrame:
    """`analysis.convergence` of ``extra``'s history column in place of f (``value`` as
    there: `Extra.drawn`'s), for the trajectories ``traj`` at the iterations ``iters``
    (those the report read of f)."""
    hist = res.history(
        ["trajectory", "iter", extra.column], filters=[("iter", "in", [int(i) for i in iters])]
    )
    hist = hist.rename(columns={extra.column: "f"})
    return analysis.convergence((traj, hist), by=list(by), value=value)
