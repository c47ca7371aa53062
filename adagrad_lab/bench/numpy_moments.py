"""The NumPy baselines of the moment methods: heavy-ball momentum, RMSprop and Adam, as
torch.optim computes them."""

from __future__ import annotations

import math

import numpy as np

from .numpy_base import Array, NumpyRule, flag
from .workloads import Inputs


class Momentum(NumpyRule):
    """torch.optim.SGD: g += weight_decay * x; with momentum != 0: b = g (k = 0) or
    b * momentum + (1 - dampening) * g, and g = g + momentum * b (nesterov) or b;
    x += -step * g."""

    def __init__(self, inputs: Inputs, X: Array) -> None:
        super().__init__(inputs, X)
        self.weight_decay, self.momentum = inputs.row("weight_decay"), inputs.row("momentum")
        self.heavy = flag(inputs, "momentum", lambda v: v != 0)
        self.nesterov = flag(inputs, "nesterov", lambda v: v != 0)
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
        self.centered = flag(inputs, "centered", lambda v: v != 0)
        self.heavy = flag(inputs, "momentum", lambda v: v > 0)
        self.low = flag(inputs, "alpha", lambda v: 1.0 - v < 0.5) if self.centered else True
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
        self.low = flag(inputs, "beta1", lambda v: 1.0 - v < 0.5)
        self.amsgrad = flag(inputs, "amsgrad", lambda v: v != 0)
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
