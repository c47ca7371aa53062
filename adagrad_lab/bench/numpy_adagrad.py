"""The NumPy baselines of AdaGrad in each convention (ours, torch, optax, Keras), its
proximal, dual-averaging, norm and full-matrix forms, and plain gradient descent."""

from __future__ import annotations

import numpy as np

from adagrad_lab.catalog.optimizers.adagrad_keras import BY_FACTOR, DECAY_FACTOR

from .numpy_base import Array, NumpyRule, flag
from .workloads import Inputs


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
    """Keras 3: lr = float32(step); x -= (x * weight_decay) * lr (on the torch backend
    x *= factor, the hidden row the record's `kernel_values` fills); s += g*g;
    x -= (lr * g) / sqrt(s + eps)."""

    squares = True

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.eps, self.weight_decay = inputs.eps, inputs.row("weight_decay")
        self.lr = self.step_size.astype(np.float32).astype(np.float64)
        by_factor = inputs.hp[BY_FACTOR] != 0
        if by_factor.any() and not by_factor.all():
            raise ValueError("backend: the baseline takes one Keras backend per call")
        self.factor = inputs.hp[DECAY_FACTOR] if by_factor.all() else None
        self.S = np.empty_like(X)
        self.S[...] = inputs.initial_accumulator

    def step(self, X: Array, G: Array, k: int) -> None:
        S, T, W = self.S, self.T, self.W
        if self.factor is not None:
            np.multiply(X, self.factor, out=X)
        else:
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
        self.shrink = flag(inputs, "l1", lambda v: v > 0)
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
