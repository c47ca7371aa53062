"""Plain-Python references for the optimizers added beside the tutorial's AdaGrad.

Each rule is written from its published algorithm, scalar loops over the
coordinates in float64 (numpy only for the full-matrix rule's eigendecomposition):

* ``adagrad_torch``  the algorithm box of torch.optim.Adagrad's documentation
* ``adagrad_optax``  optax.adagrad = scale_by_rss(initial_accumulator_value, eps)
  followed by scale_by_learning_rate (optax's documentation and source)
* ``adagrad_keras``  keras.optimizers.Adagrad (Keras 3): update_step, with the base
  optimizer's decoupled weight decay applied first and the float32 learning rate, on
  each backend (``backend=``)
* ``adagrad_prox``   TensorFlow's ApplyProximalAdagrad op (training_ops.cc): FOBOS with
  AdaGrad's learning rate, closed-form soft threshold
* ``adagrad_rda``    Duchi, Hazan and Singer (2011), AdaGrad's regularized dual averaging
  with an l1 term, the proximal term centred at the start point x_1
* ``adagrad_norm``   Ward, Wu and Bottou (2019), AdaGrad-Norm: b_{t+1}^2 = b_t^2 + |g_t|^2,
  x_{t+1} = x_t - eta / b_{t+1} g_t (plus eps, as the tutorial's AdaGrad)
* ``adagrad_full``   Duchi, Hazan and Singer (2011), full-matrix AdaGrad:
  G_t = sum g g^T, x_{t+1} = x_t - eta (eps I + G_t^(1/2))^-1 g_t
* ``momentum``, ``rmsprop``, ``adam``  the algorithm boxes of torch.optim.SGD,
  torch.optim.RMSprop and torch.optim.Adam (single-tensor, non-foreach paths)

Where adagrad_lab's docstrings (optimizers_math, the registry's ``formula``) state an
operation order, the reference follows it, and says so in a ``# order:`` comment, so
that both can agree to the last bit; elsewhere it follows the library's own code.

t counts gradients from 1 (the libraries' ``step``). Each rule is a class built from
the start point and its hyperparameters (keyword arguments, the library's defaults),
whose ``step(x, g, t)`` returns x_{t} from x_{t-1} and the gradient at x_{t-1}.
"""

from __future__ import annotations

import math

import numpy as np

# ------------------------------------------------------------------ objectives


def sphere_grad(x: list[float], w: list[float] | None = None) -> list[float]:
    """f = sum x_i^2, g_i = 2 x_i."""
    return [xi * 2.0 for xi in x]


def ellipsoid_weights(d: int, log10_condition: float) -> list[float]:
    """w_i = 10^(c i / (d - 1))."""
    if d == 1:
        return [1.0]
    return [10.0 ** (log10_condition * i / (d - 1)) for i in range(d)]


def ellipsoid_grad(x: list[float], w: list[float]) -> list[float]:
    """f = sum w_i x_i^2, g_i = 2 w_i x_i."""
    # order: objectives_math's ellipsoid term states (2 * w) * x
    return [(2.0 * wi) * xi for xi, wi in zip(x, w, strict=True)]


def rosenbrock_grad(x: list[float], w: list[float] | None = None) -> list[float]:
    """f = sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2."""
    d = len(x)
    g = [0.0] * d
    for i in range(d - 1):
        r = x[i + 1] - x[i] * x[i]
        q = 1.0 - x[i]
        # order: as objectives_math.rosenbrock accumulates it: g_i starts at the term
        # 200 r_{i-1} of the previous pair, then gets (-400 x_i) r_i - 2 q_i added
        g[i] += -400.0 * x[i] * r - 2.0 * q
        g[i + 1] = 200.0 * r
    return g


GRADIENTS = {"sphere": sphere_grad, "ellipsoid": ellipsoid_grad, "rosenbrock": rosenbrock_grad}


# ------------------------------------------------------------------ helpers


def soft_threshold(v: float, threshold: float) -> float:
    """sign(v) * max(|v| - threshold, 0)."""
    shrunk = max(abs(v) - threshold, 0.0)
    return math.copysign(shrunk, v) if shrunk > 0 else 0.0


def torch_lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp as ATen computes it (two branches around weight 0.5)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


# ------------------------------------------------------------------ library presets


class AdagradTorch:
    """torch.optim.Adagrad(lr=0.01, lr_decay=0, weight_decay=0,
    initial_accumulator_value=0, eps=1e-10)."""

    def __init__(self, x0, step_size=0.01, eps=1e-10, initial_accumulator=0.0,
                 lr_decay=0.0, weight_decay=0.0):  # fmt: skip
        self.lr, self.eps, self.lr_decay, self.wd = step_size, eps, lr_decay, weight_decay
        self.s = [float(initial_accumulator)] * len(x0)

    def step(self, x, g, t):
        clr = self.lr / (1 + (t - 1) * self.lr_decay)
        out = []
        for i, xi in enumerate(x):
            gi = g[i] + self.wd * xi  # grad.add(param, alpha=weight_decay)
            self.s[i] = self.s[i] + 1.0 * gi * gi  # state_sum.addcmul_(grad, grad, value=1)
            std = math.sqrt(self.s[i]) + self.eps  # state_sum.sqrt().add_(eps)
            # order: docstring "x += (-clr * g) / (sqrt(s) + eps)" (addcdiv, value=-clr)
            out.append(xi + (-clr * gi) / std)
        return out


class AdagradOptax:
    """optax.adagrad(learning_rate, initial_accumulator_value=0.1, eps=1e-7)."""

    def __init__(self, x0, step_size=0.1, eps=1e-7, initial_accumulator=0.1):
        self.lr, self.eps = step_size, eps
        self.s = [float(initial_accumulator)] * len(x0)

    def step(self, x, g, t):
        out = []
        for i, xi in enumerate(x):
            self.s[i] = g[i] * g[i] + self.s[i]  # jnp.square(g) + t
            # jnp.where(t > 0, rsqrt(t + eps), 0.0)
            inv = 1.0 / math.sqrt(self.s[i] + self.eps) if self.s[i] > 0 else 0.0
            u = inv * g[i]
            # order: docstring "x += -lr * u" (scale(-learning_rate), then apply_updates)
            out.append(xi + (-self.lr) * u)
        return out


class AdagradKeras:
    """keras.optimizers.Adagrad (Keras 3)(learning_rate=0.001, initial_accumulator_value=0.1,
    epsilon=1e-7, weight_decay=None) on float64 variables, on ``backend``.

    Keras 3 holds the learning rate in a variable of dtype ``backend.floatx()`` (float32
    by default) and casts it to the variable's dtype in each update, so a float64 run
    steps with float32(learning_rate), on every backend. The accumulator starts at
    ``initializers.Constant(initial_accumulator_value)``: exactly in float64 on JAX and
    torch, through float32 on TensorFlow, whose ``tf.cast`` of the Python float
    ``weight_decay`` rounds it to float32 too. The decay is ``variable - variable * wd *
    lr`` (BaseOptimizer, TensorFlow), but on torch ``variable *= 1 - wd * lr`` with the
    factor a float32 tensor (TorchOptimizer._apply_weight_decay).
    """

    def __init__(self, x0, step_size=0.001, eps=1e-7, initial_accumulator=0.1,
                 weight_decay=0.0, backend="tensorflow"):  # fmt: skip
        self.lr = float(np.float32(step_size))  # ops.cast(learning_rate, variable.dtype)
        self.eps, self.wd, self.backend = eps, weight_decay, backend
        acc = initial_accumulator
        if backend == "tensorflow":
            acc, self.wd = float(np.float32(acc)), float(np.float32(weight_decay))
        self.factor = float(np.float32(1.0) - np.float32(weight_decay) * np.float32(step_size))
        self.s = [float(acc)] * len(x0)

    def step(self, x, g, t):
        out = []
        for i, xi in enumerate(x):
            # _apply_weight_decay, before update_step (with the gradient taken at the old
            # point); order: docstring "x -= (x * wd) * lr", or torch's x * factor
            xd = xi * self.factor if self.backend == "torch" else xi - (xi * self.wd) * self.lr
            self.s[i] = self.s[i] + g[i] * g[i]  # assign_add(accumulator, square(g))
            # assign_sub(variable, divide(multiply(lr, g), sqrt(add(accumulator, eps))))
            out.append(xd - (self.lr * g[i]) / math.sqrt(self.s[i] + self.eps))
        return out


class AdagradProx:
    """TensorFlow's ProximalAdagrad (ApplyProximalAdagrad): accum += g^2;
    lr_t = lr * rsqrt(accum); v = x - g * lr_t;
    x = sign(v) * max(|v| - lr_t * l1, 0) / (1 + lr_t * l2)."""

    def __init__(self, x0, step_size=0.1, initial_accumulator=0.1, l1=0.0, l2=0.0):
        self.lr, self.l1, self.l2 = step_size, l1, l2
        self.s = [float(initial_accumulator)] * len(x0)

    def step(self, x, g, t):
        out = []
        for i, xi in enumerate(x):
            self.s[i] = self.s[i] + g[i] * g[i]
            # TF's op: accum.constant(lr) * accum.rsqrt(), rsqrt being 1 / sqrt on CPU.
            # (The docstring and the registry's formula write "a = lr / sqrt(s)", which
            # rounds differently; the package computes TF's form, as here.)
            a = self.lr * (1.0 / math.sqrt(self.s[i]))
            v = xi - g[i] * a  # prox_var -= grad * learning_rate
            if self.l1 > 0:
                v = soft_threshold(v, a * self.l1)
            out.append(v / (1.0 + self.l2 * a))
        return out


class AdagradRDA:
    """AdaGrad RDA with l1 (Duchi et al. 2011, eq. (24) centred at x_1):
    x_{t+1} = argmin_x eta <z_t, x> + eta t l1 |x|_1 + 1/2 <x - x_1, H_t (x - x_1)>,
    H_t = eps + sqrt(s_t), solved coordinate-wise in closed form."""

    def __init__(self, x0, step_size=0.1, eps=1e-8, l1=0.0):
        self.lr, self.eps, self.l1 = step_size, eps, l1
        self.x1 = [float(v) for v in x0]
        self.z = [0.0] * len(x0)
        self.s = [0.0] * len(x0)

    def step(self, x, g, t):
        out = []
        for i in range(len(x)):
            self.z[i] = self.z[i] + g[i]
            self.s[i] = self.s[i] + g[i] * g[i]
            h = self.eps + math.sqrt(self.s[i])
            # order: docstring "u = x_1 - step * z / H", "step * t * l1 / H"
            u = self.x1[i] - self.lr * self.z[i] / h
            out.append(soft_threshold(u, self.lr * t * self.l1 / h))
        return out


class AdagradNorm:
    """AdaGrad-Norm (Ward, Wu, Bottou 2019): one scalar b^2 for the whole point."""

    def __init__(self, x0, step_size=0.1, eps=1e-8, initial_accumulator=0.0):
        self.lr, self.eps = step_size, eps
        self.b2 = float(initial_accumulator)

    def step(self, x, g, t):
        # order: docstring "b2 += |g|^2 (summed in index order)": the squares are added
        # to b2 one coordinate after the other, in index order
        for gi in g:
            self.b2 = self.b2 + gi * gi
        alpha = self.lr / (self.eps + math.sqrt(self.b2))
        # order: docstring "x -= step / (eps + sqrt(b2)) * g", as the tutorial's AdaGrad
        return [xi - alpha * gi for xi, gi in zip(x, g, strict=True)]


class AdagradFull:
    """Full-matrix AdaGrad (Duchi et al. 2011): G += g g^T;
    x -= eta (eps I + G^(1/2))^-1 g, G^(1/2) from numpy.linalg.eigh."""

    def __init__(self, x0, step_size=0.1, eps=1e-8, initial_accumulator=0.0):
        self.lr, self.eps = step_size, eps
        self.G = float(initial_accumulator) * np.eye(len(x0))

    def step(self, x, g, t):
        g = np.asarray(g, dtype=np.float64)
        self.G = self.G + np.outer(g, g)
        lam, V = np.linalg.eigh(self.G)
        root = np.sqrt(np.maximum(lam, 0.0))  # G is PSD: clip rounding below 0
        direction = V @ ((V.T @ g) / (self.eps + root))
        return list(np.asarray(x, dtype=np.float64) - self.lr * direction)


# ------------------------------------------------------------------ torch baselines


class Momentum:
    """torch.optim.SGD(lr, momentum, dampening, weight_decay, nesterov)."""

    def __init__(self, x0, step_size=0.01, momentum=0.9, dampening=0.0, weight_decay=0.0,
                 nesterov=False):  # fmt: skip
        self.lr, self.mu, self.damp, self.wd = step_size, momentum, dampening, weight_decay
        self.nesterov = bool(nesterov)
        self.buf: list[float] | None = None

    def step(self, x, g, t):
        dp = [g[i] + self.wd * xi for i, xi in enumerate(x)]  # d_p.add(param, alpha=wd)
        if self.mu != 0:
            if self.buf is None:  # the first step: buf = clone(d_p), no dampening
                self.buf = list(dp)
            else:  # buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
                self.buf = [
                    b * self.mu + (1 - self.damp) * gi for b, gi in zip(self.buf, dp, strict=True)
                ]
            if self.nesterov:  # d_p = d_p.add(buf, alpha=momentum)
                dp = [gi + self.mu * b for gi, b in zip(dp, self.buf, strict=True)]
            else:
                dp = list(self.buf)
        return [xi + (-self.lr) * di for xi, di in zip(x, dp, strict=True)]  # add_(alpha=-lr)


class RMSprop:
    """torch.optim.RMSprop(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False)."""

    def __init__(self, x0, step_size=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False):  # fmt: skip
        self.lr, self.alpha, self.eps, self.wd = step_size, alpha, eps, weight_decay
        self.mu, self.centered = momentum, bool(centered)
        d = len(x0)
        self.sq, self.ga, self.buf = [0.0] * d, [0.0] * d, [0.0] * d

    def step(self, x, g, t):
        out = []
        for i, xi in enumerate(x):
            gi = g[i] + self.wd * xi
            # square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            self.sq[i] = self.sq[i] * self.alpha + (1 - self.alpha) * gi * gi
            if self.centered:
                self.ga[i] = torch_lerp(self.ga[i], gi, 1 - self.alpha)  # grad_avg.lerp_
                # square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_().add_(eps)
                avg = math.sqrt(self.sq[i] + -1.0 * self.ga[i] * self.ga[i]) + self.eps
            else:
                avg = math.sqrt(self.sq[i]) + self.eps
            if self.mu > 0:
                self.buf[i] = self.buf[i] * self.mu + 1.0 * gi / avg  # mul_(m).addcdiv_(g, avg)
                out.append(xi + (-self.lr) * self.buf[i])  # param.add_(buf, alpha=-lr)
            else:
                out.append(xi + (-self.lr * gi) / avg)  # param.addcdiv_(grad, avg, value=-lr)
        return out


class Adam:
    """torch.optim.Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    amsgrad=False)."""

    def __init__(self, x0, step_size=0.001, beta1=0.9, beta2=0.999, eps=1e-8,
                 weight_decay=0.0, amsgrad=False):  # fmt: skip
        self.lr, self.b1, self.b2, self.eps, self.wd = step_size, beta1, beta2, eps, weight_decay
        self.amsgrad = bool(amsgrad)
        d = len(x0)
        self.m, self.v, self.vmax = [0.0] * d, [0.0] * d, [0.0] * d

    def step(self, x, g, t):
        step = float(t)  # torch keeps the step count as a float tensor
        bias_correction1 = 1 - self.b1**step
        bias_correction2 = 1 - self.b2**step
        step_size = self.lr / bias_correction1
        bias_correction2_sqrt = math.sqrt(bias_correction2)  # _dispatch_sqrt
        out = []
        for i, xi in enumerate(x):
            gi = g[i] + self.wd * xi
            self.m[i] = torch_lerp(self.m[i], gi, 1 - self.b1)  # exp_avg.lerp_(grad, 1-beta1)
            # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            self.v[i] = self.v[i] * self.b2 + (1 - self.b2) * gi * gi
            v = self.v[i]
            if self.amsgrad:
                self.vmax[i] = max(self.vmax[i], self.v[i])
                v = self.vmax[i]
            denom = math.sqrt(v) / bias_correction2_sqrt + self.eps
            out.append(xi + (-step_size * self.m[i]) / denom)  # addcdiv_(value=-step_size)
        return out


RULES = {
    "adagrad_torch": AdagradTorch,
    "adagrad_optax": AdagradOptax,
    "adagrad_keras": AdagradKeras,
    "adagrad_prox": AdagradProx,
    "adagrad_rda": AdagradRDA,
    "adagrad_norm": AdagradNorm,
    "adagrad_full": AdagradFull,
    "momentum": Momentum,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def trajectory(rule, x0, n_iter, objective="sphere", log10_condition=6.0, **hyperparameters):
    """The points x_0 .. x_n_iter of ``rule`` from ``x0``: an (n_iter + 1, d) array."""
    x = [float(v) for v in x0]
    w = ellipsoid_weights(len(x), log10_condition) if objective == "ellipsoid" else None
    grad = GRADIENTS[objective]
    opt = RULES[rule](x, **hyperparameters)
    points = [list(x)]
    for t in range(1, n_iter + 1):
        x = [float(v) for v in opt.step(x, grad(x, w), t)]
        points.append(x)
    return np.array(points)
