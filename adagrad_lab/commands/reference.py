"""The optimizer reference, docs/optimizers.md, rendered from the catalog's records.

Every rule's name, summary, formula, reference, hyperparameters (defaults and the
values allowed) and choices (a convention named by a word) come from its ``RECORD``;
the objectives' table from theirs. Nothing here lists a rule, so a new one appears once
its module exists and the file is written again::

    python -m adagrad_lab.commands.reference --write    # or: ... > docs/optimizers.md

tests/test_docs.py fails while docs/optimizers.md differs from `render()`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS
from adagrad_lab.catalog.records import Choice, Hyperparameter, Objective, Optimizer

COMMAND = "python -m adagrad_lab.commands.reference --write"
ROOT = Path(__file__).resolve().parents[2]  # the repository, in a checkout
DOC = ROOT / "docs" / "optimizers.md"

INTRO = """\
Every rule runs in the same kernel, chosen with `optimizer=NAME`. Every hyperparameter
may be a list (an axis of the grid) and gets a column of its own in the trajectories
table; flags take `true`/`false` or `[false,true]`. A choice (Keras's `optimizer.backend`)
is one word for the whole run: compare several as jobs (`-m optimizer.backend=jax,torch`).
The formulas are the exact operation order, per coordinate, in float64 (g: the
objective's gradient at x; t = k + 1 is the step count; `lerp(a, b, w)` is torch's
`a + w*(b - a)`)."""

NOTES = """\
## Notes

- **Library conventions.** `adagrad_torch`, `adagrad_optax` and `adagrad_keras` follow
  `torch.optim.Adagrad`, `optax.adagrad` and Keras 3's `Adagrad` with their libraries'
  defaults (eps outside or inside the root, the accumulator starting at 0 or 0.1; Optax
  leaves a coordinate whose accumulator is 0 where it is; Keras keeps its learning rate
  in a float32 variable, so `step_size` is rounded to float32 as Keras does). `momentum`,
  `rmsprop` and `adam` follow `torch.optim.SGD`, `RMSprop` and `Adam`. Each is held to
  1e-12 relative of trajectories the library computed itself (torch 2.13, optax 0.2.8
  with x64, Keras 3.15 on each backend; 60 steps on the 3-D sphere, a 5-D ellipsoid and
  2-D Rosenbrock, non-default hyperparameters included): `tests/test_library_fixtures.py`,
  with the trajectories in `tests/fixtures/library_trajectories.json`, written by
  `tests/fixtures/make_library_fixtures.py` where those libraries are installed. Not bit
  for bit: PyTorch fuses multiply-adds and takes square roots from a vector library that
  is 1 ulp off in about 1% of cases. Keras is matched bit for bit on each backend.
- **Keras's backends** (`optimizer=adagrad_keras optimizer.backend=jax|tensorflow|torch`).
  With float64 variables and the default floatx (float32), every backend keeps the
  learning rate in a float32 variable (0.1 steps as 0.10000000149011612) and adds eps in
  float64; they differ in how the other settings reach float64. TensorFlow builds the
  accumulator from a float32 constant and casts the weight decay through float32 (0.1
  becomes 0.10000000149011612): 4e-8 relative from JAX after 60 steps with the default
  accumulator. torch's foreach Adagrad decays by `x *= 1 - weight_decay * lr` computed
  in float32: 1e-6 relative from JAX with weight_decay 0.1. The default is TensorFlow
  because it is Keras's own default: a `keras.optimizers.Adagrad` runs there unless
  `KERAS_BACKEND` or `~/.keras/keras.json` names another, so it is what unchanged Keras
  code computes. On torch, Keras's float64 sqrt is MKL's, 1 ulp off in about 1% of calls;
  the fixture's torch-backend runs agree with the correctly rounded sqrt bit for bit,
  other runs may differ from it by a few ulps. With `keras.backend.set_floatx("float64")`
  the learning rate would stay float64, which no backend here models. The backend is
  part of the run's config: its hash, `config.yaml`, the manifest and the Parquet
  metadata.
- **The paper's variants** (Duchi, Hazan and Singer, 2011). `adagrad_prox` is composite
  mirror descent with l1 and l2, the closed-form step of TensorFlow's `ProximalAdagrad`.
  `adagrad_rda` is regularized dual averaging with l1 in closed form, centred at the
  start point x_1 (the paper's form when x_1 = 0); it sets coordinates to exactly 0.
  `adagrad_full` keeps the full d x d matrix G and applies (eps I + G^(1/2))^-1 through
  an eigendecomposition (cyclic Jacobi) of G per trajectory per step: O(d^3), hence its
  largest dimension. While G is singular (`initial_accumulator` 0, fewer than d
  independent gradients so far) its null-space eigenvalues are rounding noise and
  trajectories depend on the eigensolver's last bits: give `initial_accumulator` > 0 to
  compare with another implementation. `adagrad_norm` is AdaGrad-Norm (Ward, Wu and
  Bottou, 2019): one accumulator of the squared gradient norm per trajectory.
- **Refused in one line, exit code 2:** a key the rule does not have
  (`optimizer=adam optimizer.l1=0.1`), a value outside its range (`optimizer.beta1=1`),
  a combination a rule refuses, a dimension above a rule's largest."""


def number(value: float) -> str:
    """A default as the config writes it: ``0.1``, ``1e-08``, ``0``."""
    return f"{value:g}"


def setting(value: object) -> str:
    """A config key's default as the config writes it (a number, a word, true, null)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return number(value) if isinstance(value, (int, float)) else str(value)


def default(h: Hyperparameter) -> str:
    return ("true" if h.default else "false") if h.boolean else number(h.default)


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    """A Markdown table; ``|`` inside a cell is escaped."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


def hyperparameters_cell(opt: Optimizer) -> str:
    settings = [f"`{h.name}` {default(h)}" for h in opt.hyperparameters]
    return ", ".join(settings + [f"`{c.name}` {c.default}" for c in opt.choices])


def choice_table(c: Choice) -> list[str]:
    """One choice: its values, the default first, and what each computes."""
    order = [c.default, *(v for v in c.values if v != c.default)]
    rows = ([f"`{v}`" + (" (default)" if v == c.default else ""), c.meanings[v]] for v in order)
    intro = f"`optimizer.{c.name}`: {c.summary}, one of {', '.join(c.values)}."
    return [intro, "", *table([f"`{c.name}`", "what it computes"], rows)]


def limits(opt: Optimizer) -> list[str]:
    """What the rule refuses beyond each value's range: its constraint, its dimension."""
    out = []
    if opt.constraint is not None and opt.constraint.__doc__:
        out.append(opt.constraint.__doc__.strip().splitlines()[0].rstrip("."))
    if opt.max_dim is not None:
        out.append(f"`objective.dim` above {opt.max_dim}")
    return out


def optimizer_section(opt: Optimizer) -> list[str]:
    """One rule: what it is, what it follows, its update, limits and hyperparameters."""
    lines = [f"### `{opt.name}`", "", f"- what: {opt.summary}", f"- follows: {opt.reference}"]
    lines += [f"- update: `{opt.formula}`"]
    lines += [f"- also refused: {limit}" for limit in limits(opt)]
    rows = ([f"`{h.name}`", default(h), h.rule, h.summary] for h in opt.hyperparameters)
    lines += ["", *table(["hyperparameter", "default", "allowed", "meaning"], rows)]
    for c in opt.choices:
        lines += ["", *choice_table(c)]
    return lines


def dimensions(o: Objective) -> str:
    if o.learning:
        return "the data's features"
    low, high = o.dims
    if high is None:
        return f"d >= {low}"
    return f"d = {low}" if low == high else f"{low} <= d <= {high}"


def minimum(o: Objective) -> str:
    """f* as a number, or per coordinate (``c d``) when it grows with the dimension."""
    if o.learning:
        return "solved from the data"
    low = o.dims[0]
    first = o.f_min(low)
    if o.dims[1] == low or o.f_min(low + 1) == first:
        return number(first)
    return f"{first / low:.6g} d"


def minimizer(o: Objective) -> str:
    """x* in the smallest dimension, or ``(v, ..., v)`` when every coordinate is v."""
    if o.learning:
        return "solved from the data"
    low, high = o.dims
    point = [float(v) for v in o.x_min(max(low, 2))]
    if high is None and len(set(point)) == 1:
        return f"({point[0]:.6g}, ..., {point[0]:.6g})"
    return "(" + ", ".join(f"{v:.6g}" for v in point) + ")"


def objective_row(o: Objective) -> list[str]:
    keys = ", ".join(f"`objective.{k}` {setting(v)}" for k, v in o.settings.items())
    box = f"[{number(o.bounds[0])}, {number(o.bounds[1])}]"
    return [f"`{o.name}`", o.summary, dimensions(o), box, minimum(o), minimizer(o), keys]


def render() -> str:
    """docs/optimizers.md: the rules' table and sections, the notes, the objectives."""
    lines = [
        "# Optimizers and objectives",
        "",
        f"<!-- Generated from the records in adagrad_lab/catalog/ by `{COMMAND}`:",
        "     edit the records, then run it; tests/test_docs.py checks this file. -->",
        "",
        INTRO,
        "",
        "## Update rules",
        "",
    ]
    rows = (
        [f"`{o.name}`", o.summary, f"`{o.formula}`", hyperparameters_cell(o)]
        for o in OPTIMIZERS.values()
    )
    header = ["`optimizer=`", "what", "update", "hyperparameters and defaults"]
    lines += [*table(header, rows), ""]
    for opt in OPTIMIZERS.values():
        lines += [*optimizer_section(opt), ""]
    lines += [NOTES, "", "## Objectives", ""]
    lines += [
        "Each built-in objective is an option `objective=NAME`; start points are drawn from",
        "its box unless `objective.bounds=[low,high]` says otherwise. `objective=custom`",
        "takes your own function (`objective.target=module.value_and_grad`).",
        "",
    ]
    header = ["`objective=`", "f", "dimension", "default box", "f*", "x*", "config keys"]
    lines += table(header, (objective_row(o) for o in OBJECTIVES.values()))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Print the reference, or with ``--write`` write it to docs/optimizers.md."""
    parser = argparse.ArgumentParser(prog="python -m adagrad_lab.commands.reference")
    parser.add_argument("--write", action="store_true", help="write docs/optimizers.md")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        if not (ROOT / "pyproject.toml").is_file():
            parser.error(f"--write needs a checkout of the repository (not found at {ROOT})")
        DOC.write_text(text)
        print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
