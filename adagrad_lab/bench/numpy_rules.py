"""The NumPy baseline's update rules, one per optimizer of the registry, keyed by name.

Each is written the way the AdaGrad baseline always was (`baselines.run_numpy`
is the one loop that drives them): coordinates are rows of (d, N) arrays, the
hyperparameters (N,) rows that broadcast across them, every array allocated
once per run (in the rule's constructor), every step an in-place ufunc with
``out=``, per-trajectory coefficients (bias corrections, decayed step sizes)
computed once per step into (N,) buffers. Each step performs the operations
of the kernel's jitted function (`adagrad_lab.catalog.optimizers_math`, whose
docstrings give the formulas and order) in the same order, so its outputs
equal the kernel's bit for bit; only ``adagrad_full`` cannot: it takes the
eigendecomposition from batched ``np.linalg.eigh`` (LAPACK), the kernel from
its own cyclic Jacobi, so it is judged by f's relative error against a bound
(`NumpyRule.bound`, on the final points).

A branch the kernel takes per trajectory on a hyperparameter (momentum != 0,
nesterov, centered, amsgrad, l1 > 0, a lerp weight below 0.5) is taken here
once for the run, so such a value must be the same on every trajectory (it
is on the benchmark's workloads: the registry's defaults); mixed values raise
ValueError. Whether the kernel squares the gradient itself (``squares``):
`run_numpy` then computes ``T = g*g`` once per iteration, shared with the
gradient norm.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .workloads import Inputs

Array = np.ndarray


def _flag(inputs: Inputs, name: str, test: Callable[[Array], Array]) -> bool:
    """``test`` of the hyperparameter ``name``, which must be the same on every trajectory."""
    hit = test(inputs.row(name))
    if hit.all() != hit.any():
        raise ValueError(f"NumPy baseline: {name} must take the same branch on every trajectory")
    return bool(hit.all())


class NumpyRule:
    """One run's state and work arrays for an update rule on (d, N) blocks.

    ``T`` (d, N) is where `run_numpy` writes g*g before `step` (if ``squares``)
    and for the gradient norm; `step` may overwrite it. ``bound``: None when
    the outputs equal the kernel's bit for bit, else the largest relative error
    of f allowed against the kernel.
    """

    squares = False
    bound: float | None = None

    def __init__(self, inputs: Inputs, X: Array) -> None:
        d, n = X.shape
        self.T = np.empty((d, n))
        self.W = np.empty((d, n))
        self.step_size = inputs.step_size

    def step(self, X: Array, G: Array, k: int) -> None:
        """x_k -> x_{k+1} in place, G the gradient at x_k (and T = g*g if ``squares``)."""
        raise NotImplementedError


class Adagrad(NumpyRule):
    """The tutorial's: s += g*g; x -= step / (eps + sqrt(s)) * g."""

    squares = True

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.eps = inputs.eps
        self.S = np.empty_like(X)
        self.S[...] = inputs.initial_accumulator

    def step(self, X: Array, G: Array, k: int) -> None:
        S, T = self.S, self.T
        np.add(S, T, out=S)
        np.sqrt(S, out=T)
        np.add(T, self.eps, out=T)
        np.divide(self.step_size, T, out=T)
        np.multiply(T, G, out=T)
        np.subtract(X, T, out=X)


class Gd(NumpyRule):
    """x -= step * g."""

    def step(self, X: Array, G: Array, k: int) -> None:
        np.multiply(G, self.step_size, out=self.W)
        np.subtract(X, self.W, out=X)


class AdagradTorch(NumpyRule):
    """torch.optim.Adagrad: clr = step / (1 + k * lr_decay); g += weight_decay * x;
    s += g*g; x += (-clr * g) / (sqrt(s) + eps)."""

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.eps, self.lr_decay = inputs.eps, inputs.row("lr_decay")
        self.weight_decay = inputs.row("weight_decay")
        self.S = np.empty_like(X)
        self.S[...] = inputs.initial_accumulator
        self.clr = np.empty(X.shape[1])

    def step(self, X: Array, G: Array, k: int) -> None:
        S, T, W, clr = self.S, self.T, self.W, self.clr
        np.multiply(self.lr_decay, k, out=clr)
        np.add(clr, 1.0, out=clr)
        np.divide(self.step_size, clr, out=clr)
        np.negative(clr, out=clr)
        np.multiply(X, self.weight_decay, out=W)
        np.add(G, W, out=W)
        np.multiply(W, W, out=T)
        np.add(S, T, out=S)
        np.sqrt(S, out=T)
        np.add(T, self.eps, out=T)
        np.multiply(W, clr, out=W)
        np.divide(W, T, out=W)
        np.add(X, W, out=X)


class AdagradOptax(NumpyRule):
    """optax.adagrad: s += g*g; x += -step * ((s > 0 ? 1 / sqrt(s + eps) : 0) * g).

    s only grows, so with every initial accumulator > 0 no coordinate ever has
    s = 0 and the mask is skipped."""

    squares = True

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.eps = inputs.eps
        self.S = np.empty_like(X)
        self.S[...] = inputs.initial_accumulator
        self.masked = not bool((inputs.initial_accumulator > 0).all())
        self.neg_step = -self.step_size

    def step(self, X: Array, G: Array, k: int) -> None:
        S, T = self.S, self.T
        np.add(T, S, out=S)
        np.add(S, self.eps, out=T)
        np.sqrt(T, out=T)
        np.divide(1.0, T, out=T)
        if self.masked:
            np.copyto(T, 0.0, where=~(S > 0))
        np.multiply(T, G, out=T)
        np.multiply(T, self.neg_step, out=T)
        np.add(X, T, out=X)


class AdagradKeras(NumpyRule):
    """Keras 3: lr = float32(step); x -= (x * weight_decay) * lr; s += g*g;
    x -= (lr * g) / sqrt(s + eps)."""

    squares = True

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.eps, self.weight_decay = inputs.eps, inputs.row("weight_decay")
        self.lr = self.step_size.astype(np.float32).astype(np.float64)
        self.S = np.empty_like(X)
        self.S[...] = inputs.initial_accumulator

    def step(self, X: Array, G: Array, k: int) -> None:
        S, T, W = self.S, self.T, self.W
        np.multiply(X, self.weight_decay, out=W)
        np.multiply(W, self.lr, out=W)
        np.subtract(X, W, out=X)
        np.add(S, T, out=S)
        np.add(S, self.eps, out=T)
        np.sqrt(T, out=T)
        np.multiply(G, self.lr, out=W)
        np.divide(W, T, out=W)
        np.subtract(X, W, out=X)


class AdagradProx(NumpyRule):
    """TensorFlow's ProximalAdagrad: s += g*g; a = step * (1 / sqrt(s)); v = x - g*a;
    with l1 > 0: v = sign(v) max(|v| - a*l1, 0) (0 where v = 0); x = v / (1 + l2*a)."""

    squares = True

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.l1, self.l2 = inputs.row("l1"), inputs.row("l2")
        self.shrink = _flag(inputs, "l1", lambda v: v > 0)
        self.S = np.empty_like(X)
        self.S[...] = inputs.initial_accumulator
        self.A = np.empty_like(X) if self.shrink else None

    def step(self, X: Array, G: Array, k: int) -> None:
        S, T, W = self.S, self.T, self.W
        np.add(S, T, out=S)
        np.sqrt(S, out=T)
        np.divide(1.0, T, out=T)
        np.multiply(T, self.step_size, out=T)  # a
        np.multiply(G, T, out=W)
        np.subtract(X, W, out=X)  # v
        if self.A is not None:
            np.multiply(T, self.l1, out=W)
            np.abs(X, out=self.A)
            np.subtract(self.A, W, out=W)
            np.maximum(W, 0.0, out=W)
            np.copysign(W, X, out=W)
            np.copyto(W, 0.0, where=X == 0)
            np.copyto(X, W)
        np.multiply(T, self.l2, out=T)
        np.add(T, 1.0, out=T)
        np.divide(X, T, out=X)


class AdagradRda(NumpyRule):
    """Regularized dual averaging with l1: z += g; s += g*g; h = eps + sqrt(s);
    u = x_1 - step*z/h; x = sign(u) max(|u| - step*(k+1)*l1/h, 0)."""

    squares = True

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.eps, self.l1 = inputs.eps, inputs.row("l1")
        self.Z, self.S, self.X1 = np.zeros_like(X), np.zeros_like(X), X.copy()
        self.c = np.empty(X.shape[1])

    def step(self, X: Array, G: Array, k: int) -> None:
        Z, S, T, W, c = self.Z, self.S, self.T, self.W, self.c
        np.add(Z, G, out=Z)
        np.add(S, T, out=S)
        np.sqrt(S, out=T)
        np.add(T, self.eps, out=T)  # h
        np.multiply(Z, self.step_size, out=W)
        np.divide(W, T, out=W)
        np.subtract(self.X1, W, out=W)  # u
        np.multiply(self.step_size, k + 1, out=c)
        np.multiply(c, self.l1, out=c)
        np.divide(c, T, out=T)
        np.abs(W, out=X)
        np.subtract(X, T, out=X)
        np.maximum(X, 0.0, out=X)
        np.copysign(X, W, out=X)


class AdagradNorm(NumpyRule):
    """AdaGrad-Norm: b2 += |g|^2 (summed in index order, from b2); x -= step / (eps +
    sqrt(b2)) * g. T is rows 1.. of a (d+1, N) array whose row 0 receives b2, so one
    ``np.sum(axis=0)`` (rows added in index order) gives ((b2 + g_0^2) + g_1^2) + ..."""

    squares = True

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        d, n = X.shape
        self.E = np.empty((d + 1, n))
        self.T = self.E[1:]
        self.eps = inputs.eps
        self.B = inputs.initial_accumulator.copy()
        self.alpha = np.empty(n)

    def step(self, X: Array, G: Array, k: int) -> None:
        B, a, W = self.B, self.alpha, self.W
        np.copyto(self.E[0], B)
        np.sum(self.E, axis=0, out=B)
        np.sqrt(B, out=a)
        np.add(a, self.eps, out=a)
        np.divide(self.step_size, a, out=a)
        np.multiply(G, a, out=W)
        np.subtract(X, W, out=X)


class AdagradFull(NumpyRule):
    """Full-matrix AdaGrad: G += g g^T; x -= step * V diag(1 / (eps + sqrt(max(lam, 0))))
    V^T g with (lam, V) from batched ``np.linalg.eigh`` (the kernel: cyclic Jacobi), so
    not bit for bit: judged by the final points' error scaled by the start's
    (`agree.x_error`), below ``bound``.

    The rule is ill-conditioned wherever G is singular: a direction G has not
    seen is scaled by step / eps (1e7 at the defaults), rounding included, so two
    eigensolvers' last bits grow into different trajectories. With the defaults
    (initial_accumulator 0) that is every d > 2 start (G has rank < d for d - 1
    steps). At d = 2: on Rosenbrock (W4) G has full rank from the second step and the
    final points agree to about 2e-8; on the sphere (W1, W3) the path stays on a line,
    G keeps rank 1, and the paths part mid-run (by up to about 1e-2 of the start's
    scale at step 25) before both converge to 0, where the final points agree to
    about 3e-10: that agreement says little about the steps in between."""

    bound = 1e-6

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        d, n = X.shape
        self.eps = inputs.eps[:, None]
        self.S = np.zeros((n, d, d))
        self.S[:, np.arange(d), np.arange(d)] = inputs.initial_accumulator[:, None]
        self.P = np.empty((n, d, d))  # g g^T
        self.Y, self.U = np.empty((n, d)), np.empty((n, d))

    def step(self, X: Array, G: Array, k: int) -> None:
        S, P, Y, U, W = self.S, self.P, self.Y, self.U, self.W
        g = G.T
        np.multiply(g[:, :, None], g[:, None, :], out=P)
        np.add(S, P, out=S)
        lam, V = np.linalg.eigh(S)
        np.maximum(lam, 0.0, out=lam)
        np.sqrt(lam, out=lam)
        np.add(lam, self.eps, out=lam)
        np.einsum("nrm,nr->nm", V, g, out=Y)
        np.divide(Y, lam, out=Y)
        np.einsum("nrm,nm->nr", V, Y, out=U)
        np.multiply(U.T, self.step_size, out=W)
        np.subtract(X, W, out=X)


class Momentum(NumpyRule):
    """torch.optim.SGD: g += weight_decay * x; with momentum != 0: b = g (k = 0) or
    b * momentum + (1 - dampening) * g, and g = g + momentum * b (nesterov) or b;
    x += -step * g."""

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.weight_decay, self.momentum = inputs.row("weight_decay"), inputs.row("momentum")
        self.heavy = _flag(inputs, "momentum", lambda v: v != 0)
        self.nesterov = _flag(inputs, "nesterov", lambda v: v != 0)
        self.keep = 1.0 - inputs.row("dampening")
        self.neg_step = -self.step_size
        self.B, self.V = np.zeros_like(X), np.empty_like(X)

    def step(self, X: Array, G: Array, k: int) -> None:
        W, B, V = self.W, self.B, self.V
        np.multiply(X, self.weight_decay, out=W)
        np.add(G, W, out=W)
        d = W
        if self.heavy:
            if k == 0:
                np.copyto(B, W)
            else:
                np.multiply(B, self.momentum, out=B)
                np.multiply(W, self.keep, out=V)
                np.add(B, V, out=B)
            if self.nesterov:
                np.multiply(B, self.momentum, out=V)
                np.add(W, V, out=W)
            else:
                d = B
        np.multiply(d, self.neg_step, out=V)
        np.add(X, V, out=X)


def _lerp(start: Array, end: Array, weight: Array, low: bool, out: Array) -> None:
    """start = torch.lerp(start, end, weight) in place: start + weight * (end - start)
    (``low``: weight < 0.5), else end - (end - start) * (1 - weight)."""
    np.subtract(end, start, out=out)
    if low:
        np.multiply(out, weight, out=out)
        np.add(start, out, out=start)
    else:
        np.multiply(out, 1.0 - weight, out=out)
        np.subtract(end, out, out=start)


class Rmsprop(NumpyRule):
    """torch.optim.RMSprop: g += weight_decay * x; v = v*alpha + ((1 - alpha)*g)*g;
    avg = sqrt(v [- m^2, m = lerp(m, g, 1 - alpha), centered]) + eps; x += -step * b
    with b = b*momentum + g/avg (momentum > 0), else x += (-step * g) / avg."""

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.alpha, self.eps = inputs.row("alpha"), inputs.eps
        self.weight_decay, self.momentum = inputs.row("weight_decay"), inputs.row("momentum")
        self.rest = 1.0 - self.alpha
        self.centered = _flag(inputs, "centered", lambda v: v != 0)
        self.heavy = _flag(inputs, "momentum", lambda v: v > 0)
        self.low = _flag(inputs, "alpha", lambda v: 1.0 - v < 0.5) if self.centered else True
        self.neg_step = -self.step_size
        self.Q, self.M, self.B = (np.zeros_like(X) for _ in range(3))
        self.V = np.empty_like(X)

    def step(self, X: Array, G: Array, k: int) -> None:
        W, T, V, Q = self.W, self.T, self.V, self.Q
        np.multiply(X, self.weight_decay, out=W)
        np.add(G, W, out=W)
        np.multiply(Q, self.alpha, out=Q)
        np.multiply(W, self.rest, out=V)
        np.multiply(V, W, out=V)
        np.add(Q, V, out=Q)
        if self.centered:
            _lerp(self.M, W, self.rest, self.low, V)
            np.negative(self.M, out=T)
            np.multiply(T, self.M, out=T)
            np.add(Q, T, out=T)
            np.sqrt(T, out=T)
        else:
            np.sqrt(Q, out=T)
        np.add(T, self.eps, out=T)
        if self.heavy:
            np.multiply(self.B, self.momentum, out=self.B)
            np.divide(W, T, out=V)
            np.add(self.B, V, out=self.B)
            np.multiply(self.B, self.neg_step, out=V)
        else:
            np.multiply(W, self.neg_step, out=V)
            np.divide(V, T, out=V)
        np.add(X, V, out=X)


class Adam(NumpyRule):
    """torch.optim.Adam: c0 = step / (1 - beta1^t), c1 = (1 - beta2^t)^0.5 (t = k + 1,
    powers by libm's pow);
    g += weight_decay * x; m = lerp(m, g, 1 - beta1); v = v*beta2 + ((1 - beta2)*g)*g;
    [v = max(vmax, v), amsgrad]; x += (-c0 * m) / (sqrt(v) / c1 + eps)."""

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.beta1, self.beta2 = inputs.row("beta1"), inputs.row("beta2")
        self.eps, self.weight_decay = inputs.eps, inputs.row("weight_decay")
        self.w1, self.rest2 = 1.0 - self.beta1, 1.0 - self.beta2
        self.low = _flag(inputs, "beta1", lambda v: 1.0 - v < 0.5)
        self.amsgrad = _flag(inputs, "amsgrad", lambda v: v != 0)
        self.M, self.Q, self.Qmax = (np.zeros_like(X) for _ in range(3))
        self.V = np.empty_like(X)
        n = X.shape[1]
        self.c0, self.c1 = np.empty(n), np.empty(n)
        # the bias corrections' powers through libm's pow (math.pow, as the kernel's): NumPy's
        # own np.power rounds differently now and then; once per distinct value, gathered
        self.b1, self.i1 = np.unique(self.beta1, return_inverse=True)
        self.b2, self.i2 = np.unique(self.beta2, return_inverse=True)

    def step(self, X: Array, G: Array, k: int) -> None:
        W, T, V, Q, c0, c1 = self.W, self.T, self.V, self.Q, self.c0, self.c1
        t = k + 1.0
        p1 = np.array([1.0 - math.pow(b, t) for b in self.b1.tolist()])
        np.take(p1, self.i1, out=c0)
        np.divide(self.step_size, c0, out=c0)
        np.negative(c0, out=c0)
        p2 = np.array([math.pow(1.0 - math.pow(b, t), 0.5) for b in self.b2.tolist()])
        np.take(p2, self.i2, out=c1)
        np.multiply(X, self.weight_decay, out=W)
        np.add(G, W, out=W)
        _lerp(self.M, W, self.w1, self.low, V)
        np.multiply(Q, self.beta2, out=Q)
        np.multiply(W, self.rest2, out=V)
        np.multiply(V, W, out=V)
        np.add(Q, V, out=Q)
        v = Q
        if self.amsgrad:
            np.maximum(self.Qmax, Q, out=self.Qmax)
            v = self.Qmax
        np.sqrt(v, out=T)
        np.divide(T, c1, out=T)
        np.add(T, self.eps, out=T)
        np.multiply(self.M, c0, out=V)
        np.divide(V, T, out=V)
        np.add(X, V, out=X)


RULES: dict[str, type[NumpyRule]] = {
    "adagrad": Adagrad,
    "gd": Gd,
    "adagrad_torch": AdagradTorch,
    "adagrad_optax": AdagradOptax,
    "adagrad_keras": AdagradKeras,
    "adagrad_prox": AdagradProx,
    "adagrad_rda": AdagradRda,
    "adagrad_norm": AdagradNorm,
    "adagrad_full": AdagradFull,
    "momentum": Momentum,
    "rmsprop": Rmsprop,
    "adam": Adam,
}


def bound(optimizer: str) -> float | None:
    """None if the rule's baseline agrees with the kernel bit for bit, else the bound on
    the final points' scaled error (`agree.x_error`) it is judged by."""
    return RULES[optimizer].bound
