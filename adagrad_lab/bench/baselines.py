"""What the benchmark measures the kernel against: NumPy always, JAX and PyTorch on request.

The NumPy baseline is written to be competent, not a strawman (the update
rules are `numpy_rules`', one per optimizer, this module's `run_numpy` the
loop that drives them): coordinates
are rows of a (d, N) array, every array is allocated once per call, every
step is an in-place ufunc with ``out=``, ``g*g`` is computed once per
iteration and shared by the gradient norm and the update (when the rule
squares g itself), only what the
workload records is computed (f, and the gradient norm only if asked), and
the history is gathered in a small iteration-major buffer and transposed
into the (N, R) output a chunk at a time, as the kernel does. It performs
the operations in the kernel's order, so its results are expected bit for
bit (adagrad_full's: within a relative-error bound, see `numpy_rules`).

The peers (``--peers``) run AdaGrad only (the tutorial's rule; other rules'
rows are not given to them), and are never dependencies of adagrad-lab: the C
peer (`c_peer`) is compiled only when ``--peers`` is given, and JAX and
PyTorch are imported only then (by `importlib`, in the
peers' constructors), and those that are not installed are skipped with a
line saying so. How they are timed is `measure`'s business; this module only
computes, and says whether a peer's outputs agree (`peer_agrees`).

- JAX: the tutorial's rule as an ``optax.GradientTransformation``
  (``s += g*g; u = -step/(eps+sqrt(s)) * g``), one trajectory's loop as a
  ``lax.scan``, ``vmap``-ed over trajectories and ``jit``-compiled, float64
  (``jax_enable_x64``).
- PyTorch: ``torch.optim.Adagrad`` (fused, else foreach) on one float64
  (d, N) parameter tensor, lr = the workload's step size, the same eps,
  ``initial_accumulator_value`` = the workload's, the analytic gradient set
  as ``.grad``; f (and the gradient norm with ``--grad-norm``) recorded each
  iteration into a preallocated (T+1, N) tensor.

Both evaluate the objectives with the same formulas as the kernel, but sum
in their own order, and PyTorch places eps differently
(``x -= lr * g / (sqrt(s) + eps)``), so agreement with the kernel is judged
with allclose at rtol 1e-9 (atol: the smallest normal float64, since subnormal
values hold no relative precision) on x_final, f_final and a sample of
history columns, never bit for bit. When the kernel runs in a fast mode
(``--fastmath``, ``--precision float32``) they are judged against the NumPy
baseline instead, which holds the default kernel's float64 bits.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from .agree import history_columns
from .c_peer import CPeer
from .numpy_rules import RULES
from .workloads import DEFAULT_OPTIMIZER, Inputs, Outputs, Workload

PEER_RTOL = 1e-9
PEER_ATOL = float(np.finfo(np.float64).tiny)  # below it (subnormals) no relative precision is left
BUFFER_ROWS = 32  # records the NumPy baseline buffers before a transposing flush
NUMPY_OBJECTIVES = ("sphere", "ellipsoid", "rosenbrock")


# ---------------------------------------------------------------- NumPy


class NumpyObjective:
    """Value and gradient of sphere, ellipsoid or rosenbrock on a (d, N) block, in place.

    Each repeats the operation order of `objectives_math`, so it returns the
    same bits; sums over coordinates use ``np.sum(axis=0)``, which on a
    C-ordered (d, N) array adds the rows in index order, as the kernel does.
    Work arrays are allocated once, here.
    """

    def __init__(self, name: str, dim: int, n: int, params: np.ndarray) -> None:
        if name not in NUMPY_OBJECTIVES:
            raise ValueError(f"no NumPy baseline for objective '{name}'")
        rows = dim - 1 if name == "rosenbrock" else dim
        self.t = np.empty((rows, n))
        if name == "ellipsoid":
            self.w = np.ascontiguousarray(params[:dim, None])
            self.w2 = 2.0 * self.w
        if name == "rosenbrock":
            self.r, self.q, self.a = (np.empty((rows, n)) for _ in range(3))
        self._evaluate: Callable[[np.ndarray, np.ndarray, np.ndarray | None], None] = getattr(
            self, "_" + name
        )

    def __call__(self, X: np.ndarray, G: np.ndarray, f: np.ndarray | None) -> None:
        """Write the gradient into G and, unless f is None, the values into f."""
        self._evaluate(X, G, f)

    def _sphere(self, X: np.ndarray, G: np.ndarray, f: np.ndarray | None) -> None:
        np.multiply(X, 2.0, out=G)
        if f is not None:
            np.multiply(X, X, out=self.t)
            np.sum(self.t, axis=0, out=f)

    def _ellipsoid(self, X: np.ndarray, G: np.ndarray, f: np.ndarray | None) -> None:
        np.multiply(self.w2, X, out=G)
        if f is not None:
            np.multiply(X, X, out=self.t)
            np.multiply(self.w, self.t, out=self.t)
            np.sum(self.t, axis=0, out=f)

    def _rosenbrock(self, X: np.ndarray, G: np.ndarray, f: np.ndarray | None) -> None:
        xa, xb, r, q, a, t = X[:-1], X[1:], self.r, self.q, self.a, self.t
        np.multiply(xa, xa, out=r)
        np.subtract(xb, r, out=r)  # r = x_{i+1} - x_i^2
        np.subtract(1.0, xa, out=q)  # q = 1 - x_i
        np.multiply(xa, -400.0, out=a)
        np.multiply(a, r, out=a)
        np.multiply(q, 2.0, out=t)
        np.subtract(a, t, out=a)  # a = -400 x_i r - 2 q
        np.multiply(r, 200.0, out=G[1:])
        np.copyto(G[0], a[0])
        np.add(G[1:-1], a[1:], out=G[1:-1])
        if f is not None:
            np.multiply(r, r, out=t)
            np.multiply(t, 100.0, out=t)
            np.multiply(q, q, out=a)
            np.add(t, a, out=t)
            np.sum(t, axis=0, out=f)


def _kept(out: Outputs | None, key: str, shape: tuple[int, ...]) -> np.ndarray:
    """``out[key]`` when it has this shape, else a new array."""
    old = None if out is None else out.get(key)
    return old if old is not None and old.shape == shape else np.empty(shape)


class _History:
    """The baseline's iteration-major record buffers and its (N, R) outputs."""

    def __init__(self, n: int, n_rec: int, grad_norm: bool, out: Outputs | None = None) -> None:
        rows = BUFFER_ROWS if n_rec else 0
        self.n_rec, self.grad_norm = n_rec, grad_norm
        self.h_f = _kept(out, "h_f", (n, n_rec))
        self.h_gn = _kept(out, "h_gn", (n, n_rec if grad_norm else 0))
        self.bf = np.empty((rows, n))
        self.bg = np.empty((rows if grad_norm else 0, n))

    def row(self, r: int) -> np.ndarray:
        """Where the objective writes the values of record r."""
        row: np.ndarray = self.bf[r % BUFFER_ROWS]
        return row

    def record(self, r: int, T: np.ndarray) -> None:
        """Finish record r (gradient norm from T = g*g if wanted); flush when full or last."""
        rr = r % BUFFER_ROWS
        if self.grad_norm:
            np.sum(T, axis=0, out=self.bg[rr])
            np.sqrt(self.bg[rr], out=self.bg[rr])
        if rr == BUFFER_ROWS - 1 or r == self.n_rec - 1:
            self.h_f[:, r - rr : r + 1] = self.bf[: rr + 1].T
            if self.grad_norm:
                self.h_gn[:, r - rr : r + 1] = self.bg[: rr + 1].T


def run_numpy(
    w: Workload, inputs: Inputs, out: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """The same sweep in plain vectorized NumPy; history laid out like the kernel's.

    The workload's optimizer steps through its rule in `numpy_rules`; this is
    the one loop. f is computed only at recorded iterations and the last, the
    gradient norm only when it is recorded, g*g only when the rule or the
    gradient norm uses it: as little work as the workload allows. ``out``, an
    earlier call's result, has its history arrays written again.
    """
    n, d = inputs.x0.shape
    rec = w.rec_iters().tolist()
    X = np.ascontiguousarray(inputs.x0.T)
    rule = RULES[w.optimizer](inputs, X)
    G, T, f_final = np.empty((d, n)), rule.T, np.empty(n)
    hist = _History(n, len(rec), w.grad_norm, out)
    evaluate = NumpyObjective(w.objective, d, n, inputs.params)
    r = 0
    for k in range(w.n_iter + 1):
        last, record = k == w.n_iter, r < len(rec) and rec[r] == k
        evaluate(X, G, hist.row(r) if record else (f_final if last else None))
        if (not last and rule.squares) or (record and w.grad_norm):
            np.multiply(G, G, out=T)
        if record:
            hist.record(r, T)
            r += 1
        if not last:
            rule.step(X, G, k)
        elif record:
            np.copyto(f_final, hist.h_f[:, r - 1])
    x_final = np.ascontiguousarray(X.T)
    return {"x_final": x_final, "f_final": f_final, "h_f": hist.h_f, "h_gn": hist.h_gn}


# ---------------------------------------------------------------- JAX and PyTorch


def value_and_grad(name: str, X: Any, w: Any, cat: Callable[[list[Any]], Any]) -> tuple[Any, Any]:
    """f and gradient of sphere, ellipsoid or rosenbrock, in the kernel's operation order.

    ``X`` is any array (numpy, jax, torch) whose axis 0 is the coordinate;
    ``w`` the ellipsoid's weights shaped to broadcast against it; ``cat``
    concatenates along axis 0.
    """
    if name == "sphere":
        return (X * X).sum(0), X * 2.0
    if name == "ellipsoid":
        return (w * (X * X)).sum(0), (2.0 * w) * X
    xa, xb = X[:-1], X[1:]
    r = xb - xa * xa
    q = 1.0 - xa
    a = (-400.0 * xa) * r - 2.0 * q
    zero = 0.0 * X[:1]
    return (100.0 * (r * r) + q * q).sum(0), cat([a, zero]) + cat([zero, 200.0 * r])


class UnsupportedError(Exception):
    """This peer cannot run this workload as the kernel does."""


class Peer(Protocol):
    """A peer implementation (`JaxPeer`, `TorchPeer`)."""

    label: str

    def prepare(self, w: Workload, inputs: Inputs) -> Callable[[], Outputs]:
        """The run of ``w`` on ``inputs``, ready to call (raises UnsupportedError)."""
        ...


class JaxPeer:
    """jit(vmap(lax.scan)) of the tutorial rule written as an optax transformation."""

    def __init__(self) -> None:
        jax, optax = importlib.import_module("jax"), importlib.import_module("optax")
        jax.config.update("jax_enable_x64", True)
        self.jax, self.optax = jax, optax
        self.label = f"jax-{jax.__version__}-{jax.default_backend()}"

    def _rule(self, step: Any, eps: Any, s0: Any) -> Any:
        """An optax.GradientTransformation (arguments and arrays: JAX's)."""
        jnp = self.jax.numpy

        def init(params: Any) -> Any:
            return jnp.full_like(params, s0)

        def update(g: Any, s: Any, params: Any = None) -> tuple[Any, Any]:
            s = s + g * g
            return -(step / (eps + jnp.sqrt(s))) * g, s

        return self.optax.GradientTransformation(init, update)

    def prepare(self, w: Workload, inputs: Inputs) -> Callable[[], Outputs]:
        jax, optax, jnp = self.jax, self.optax, self.jax.numpy
        weights = jnp.asarray(inputs.params[: w.dim]) if w.objective == "ellipsoid" else None
        history, gn = len(w.rec_iters()) > 0, w.grad_norm

        def evaluate(x: Any) -> tuple[Any, Any, Any]:
            f, g = value_and_grad(w.objective, x, weights, jnp.concatenate)
            return f, g, jnp.sqrt((g * g).sum(0)) if gn else None

        def one(x0: Any, step: Any, eps: Any, s0: Any) -> tuple[Any, ...]:
            opt = self._rule(step, eps, s0)

            def body(carry: tuple[Any, Any], _: None) -> tuple[tuple[Any, Any], tuple[Any, ...]]:
                x, s = carry
                f, g, norm = evaluate(x)
                u, s = opt.update(g, s)
                rec = ((f, norm) if gn else (f,)) if history else ()
                return (optax.apply_updates(x, u), s), rec

            (x, _), recs = jax.lax.scan(body, (x0, opt.init(x0)), None, length=w.n_iter)
            f, _, norm = evaluate(x)
            outs = [jnp.append(recs[0], f)] if history else []
            outs += [jnp.append(recs[1], norm)] if history and gn else []
            return x, f, *outs

        fn = jax.jit(jax.vmap(one))
        hp = [jnp.asarray(v) for v in (inputs.step_size, inputs.eps, inputs.initial_accumulator)]
        args = (jnp.asarray(inputs.x0), *hp)

        def run() -> Outputs:
            out = [np.asarray(a) for a in jax.block_until_ready(fn(*args))]
            return _outputs(out)

        return run


class TorchPeer:
    """torch.optim.Adagrad on a float64 (d, N) parameter, analytic gradients set as .grad."""

    def __init__(self) -> None:
        self.torch = torch = importlib.import_module("torch")
        self.options = self._options()
        kind = next(iter(self.options), "plain")
        self.label = f"torch-{torch.__version__.split('+')[0]}-{kind}"

    def _options(self) -> dict[str, bool]:
        """fused=True if this torch runs it on CPU, else foreach=True, else the default."""
        torch = self.torch
        for options in ({"fused": True}, {"foreach": True}):
            try:
                p = torch.nn.Parameter(torch.ones(2, 3, dtype=torch.float64))
                p.grad = torch.ones_like(p)
                torch.optim.Adagrad([p], lr=0.1, **options).step()
                return options
            except (RuntimeError, TypeError, ValueError):
                continue
        return {}

    def prepare(self, w: Workload, inputs: Inputs) -> Callable[[], Outputs]:
        torch = self.torch
        hp = np.stack([inputs.step_size, inputs.eps, inputs.initial_accumulator])
        if not np.all(hp == hp[:, :1]):
            raise UnsupportedError("one step size, eps and accumulator per optimizer")
        lr, eps, s0 = (float(v) for v in hp[:, 0])
        X0 = torch.from_numpy(np.ascontiguousarray(inputs.x0.T))
        weights = torch.from_numpy(np.ascontiguousarray(inputs.params[: w.dim, None]))
        history, gn, n = len(w.rec_iters()) > 0, w.grad_norm, X0.shape[1]

        def run() -> Outputs:
            X = torch.nn.Parameter(X0.clone())
            opt = torch.optim.Adagrad(
                [X], lr=lr, eps=eps, initial_accumulator_value=s0, **self.options
            )
            rows = w.n_iter + 1 if history else 0
            hf = torch.empty((rows, n), dtype=torch.float64)
            hg = torch.empty((rows if gn else 0, n), dtype=torch.float64)
            with torch.no_grad():
                for k in range(w.n_iter + 1):
                    f, g = value_and_grad(w.objective, X, weights, torch.cat)
                    if history:
                        hf[k] = f
                        if gn:
                            hg[k] = torch.sqrt((g * g).sum(0))
                    if k < w.n_iter:
                        X.grad = g
                        opt.step()
            out = [X.detach().T, f, *([hf.T.contiguous()] if history else [])]
            out += [hg.T.contiguous()] if history and gn else []
            return _outputs([t.numpy() for t in out])

        return run


def _outputs(out: Sequence[np.ndarray]) -> Outputs:
    """(x_final, f_final, [h_f, [h_gn]]) as the kernel's output keys."""
    return dict(zip(("x_final", "f_final", "h_f", "h_gn"), out, strict=False))


def load_peers() -> tuple[list[Peer], list[str]]:
    """The peers that import here, and lines naming those that do not."""
    peers: list[Peer] = []
    skipped: list[str] = []
    kinds: tuple[tuple[Callable[[], Peer], str], ...] = (
        (CPeer, "c"), (JaxPeer, "jax+optax"), (TorchPeer, "torch"),
    )  # fmt: skip
    for cls, what in kinds:
        try:
            peers.append(cls())
        except ImportError as exc:
            skipped.append(f"{what} ({exc})")
    return peers, skipped


def has_numpy(w: Workload) -> bool:
    """Whether the NumPy baseline computes this workload: sphere, ellipsoid or rosenbrock;
    built in, with any rule of `numpy_rules`, or from config with AdaGrad, no points
    recorded, no stop at the target."""
    rule_ok = w.plain_adagrad() if w.plan is not None else w.optimizer in RULES
    return w.objective in NUMPY_OBJECTIVES and rule_ok


def eligible(w: Workload) -> str:
    """Why a peer cannot run this workload ('' when it can): peers run AdaGrad only."""
    n_rec = len(w.rec_iters())
    if w.optimizer != DEFAULT_OPTIMIZER:
        return "peers run AdaGrad only"
    if not has_numpy(w):
        return "objective or flags not supported"
    if n_rec not in (0, w.n_iter + 1):
        return "records every iteration or none only"
    return ""


def peer_sample(out: Outputs, n_rec: int) -> Outputs:
    """x_final, f_final and the sampled history columns (of n_rec records) of an output."""
    cols = history_columns(n_rec)
    s = {"x_final": out["x_final"], "f_final": out["f_final"]}
    return s | {k: out[k][:, cols] for k in ("h_f", "h_gn") if k in out and out[k].shape[1]}


def peer_agrees(ref: Outputs, out: Outputs, n_rec: int) -> bool:
    """Whether a peer's output matches the reference sample (`peer_sample`) within
    PEER_RTOL and PEER_ATOL."""
    got = peer_sample(out, n_rec)
    return ref.keys() == got.keys() and all(
        ref[k].shape == got[k].shape and np.allclose(ref[k], got[k], rtol=PEER_RTOL, atol=PEER_ATOL)
        for k in ref
    )
