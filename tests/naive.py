"""Slow, obviously correct references for the kernel tests.

Plain Python, one point and one coordinate at a time: no numba, no numpy
vectorization. Every objective repeats the operation order of
`adagrad_lab.catalog.objectives_math` exactly, so on the same inputs it returns the
same bits. The optimizer loop follows the tutorial's `adagrad()`:
evaluate the gradient, add its square to the running sum, then move each
coordinate by ``step_size / (eps + sqrt(sum)) * gradient``.

The `math` module raises where IEEE arithmetic (and so the jitted code)
quietly returns inf or NaN; the small ``_cos``/``_sin``/``_exp``/``_sqrt``/
``_div`` helpers give the IEEE answer instead.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence

TWO_PI = 2.0 * math.pi

RULES = {"adagrad": 0, "gd": 1}  # the kernel's RULE_ADAGRAD / RULE_GD


# ---------------------------------------------------------------- IEEE helpers


def _cos(t: float) -> float:
    return math.cos(t) if math.isfinite(t) else math.nan


def _sin(t: float) -> float:
    return math.sin(t) if math.isfinite(t) else math.nan


def _exp(t: float) -> float:
    try:
        return math.exp(t)
    except OverflowError:
        return math.inf


def _sqrt(t: float) -> float:
    return math.sqrt(t) if t >= 0.0 else math.nan


def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _finite(values: Sequence[float]) -> bool:
    return all(math.isfinite(v) for v in values)


# ------------------------------------------------------------------ objectives
# Each takes a point as a list of floats and the parameter vector (the
# ellipsoid's weights; ignored by the others) and returns (value, gradient).


def sphere(x: list[float], params) -> tuple[float, list[float]]:
    f = 0.0
    g = []
    for xi in x:
        f += xi * xi
        g.append(xi * 2.0)
    return f, g


def ellipsoid(x: list[float], params) -> tuple[float, list[float]]:
    f = 0.0
    g = []
    for i, xi in enumerate(x):
        w = float(params[i])
        f += w * (xi * xi)
        g.append((2.0 * w) * xi)
    return f, g


def rosenbrock(x: list[float], params) -> tuple[float, list[float]]:
    d = len(x)
    f = 0.0
    g = [0.0] * d
    for i in range(d - 1):
        xi = x[i]
        r = x[i + 1] - xi * xi
        q = 1.0 - xi
        f += 100.0 * (r * r) + q * q
        g[i] += -400.0 * xi * r - 2.0 * q
        g[i + 1] = 200.0 * r
    return f, g


def rastrigin(x: list[float], params) -> tuple[float, list[float]]:
    d = len(x)
    f = 10.0 * d
    g = []
    for xi in x:
        f += xi * xi - 10.0 * _cos(TWO_PI * xi)
        g.append(2.0 * xi + 10.0 * TWO_PI * _sin(TWO_PI * xi))
    return f, g


def ackley(x: list[float], params) -> tuple[float, list[float]]:
    d = len(x)
    sq = 0.0
    cs = 0.0
    for xi in x:
        sq += xi * xi
        cs += _cos(TWO_PI * xi)
    r = _sqrt(sq / d)
    e1 = _exp(-0.2 * r)
    e2 = _exp(cs / d)
    f = -20.0 * e1 - e2 + 20.0 + math.e
    c1 = _div(4.0 * e1, d * r) if r > 0.0 else 0.0
    c2 = TWO_PI * e2 / d
    g = [c1 * xi + c2 * _sin(TWO_PI * xi) for xi in x]
    return f, g


def styblinski_tang(x: list[float], params) -> tuple[float, list[float]]:
    f = 0.0
    g = []
    for xi in x:
        x2 = xi * xi
        f += 0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * xi)
        g.append(2.0 * x2 * xi - 16.0 * xi + 2.5)
    return f, g


def beale(x: list[float], params) -> tuple[float, list[float]]:
    u, v = x
    v2 = v * v
    v3 = v2 * v
    a1 = 1.5 - u + u * v
    a2 = 2.25 - u + u * v2
    a3 = 2.625 - u + u * v3
    f = a1 * a1 + a2 * a2 + a3 * a3
    gu = 2.0 * (a1 * (v - 1.0) + a2 * (v2 - 1.0) + a3 * (v3 - 1.0))
    gv = 2.0 * u * (a1 + 2.0 * v * a2 + 3.0 * v2 * a3)
    return f, [gu, gv]


def booth(x: list[float], params) -> tuple[float, list[float]]:
    u, v = x
    a = u + 2.0 * v - 7.0
    c = 2.0 * u + v - 5.0
    return a * a + c * c, [2.0 * a + 4.0 * c, 4.0 * a + 2.0 * c]


def himmelblau(x: list[float], params) -> tuple[float, list[float]]:
    u, v = x
    a = u * u + v - 11.0
    c = u + v * v - 7.0
    return a * a + c * c, [4.0 * u * a + 2.0 * c, 2.0 * a + 4.0 * v * c]


def rotated_ellipsoid(x: list[float], params) -> tuple[float, list[float]]:
    """sum_r w_r (Qx)_r^2: params holds w (d), then Q row by row."""
    d = len(x)
    f = 0.0
    g = [0.0] * d
    for r in range(d):
        w = float(params[r])
        z = 0.0
        for c in range(d):
            z += float(params[d + r * d + c]) * x[c]
        f += w * (z * z)
        z = 2.0 * w * z
        for c in range(d):
            g[c] += float(params[d + r * d + c]) * z
    return f, g


OBJECTIVES: dict[str, Callable] = {
    "sphere": sphere,
    "ellipsoid": ellipsoid,
    "rosenbrock": rosenbrock,
    "rastrigin": rastrigin,
    "ackley": ackley,
    "styblinski_tang": styblinski_tang,
    "beale": beale,
    "booth": booth,
    "himmelblau": himmelblau,
    "rotated_ellipsoid": rotated_ellipsoid,
}


def value_and_grad(name: str, x: Sequence[float], params=(1.0,)) -> tuple[float, list[float]]:
    """Value and gradient of built-in objective ``name`` at one point."""
    return OBJECTIVES[name]([float(v) for v in x], params)


# -------------------------------------------------------------------- the loop


def naive_run(
    name: str,
    x0: Sequence[float],
    step_size: float,
    eps: float,
    acc0: float,
    rule,
    n_iter: int,
    params=(1.0,),
    *,
    target: float | None = None,
    stop_at_target: bool = False,
) -> list[tuple[float, float, list[float]]]:
    """One trajectory, one iteration at a time: [(f, |grad|, x) for k = 0..last].

    Iteration k evaluates f and the gradient at x_k, records them, stops if
    the value or the point is not finite (or, with ``stop_at_target``, if f
    reached ``target``) or k == n_iter, and otherwise updates x. ``rule`` is
    "adagrad" / "gd" or the kernel's integer code (0 / 1).
    """
    rule = RULES.get(rule, rule)
    if rule not in (0, 1):
        raise ValueError(f"unknown rule {rule!r}")
    fn = OBJECTIVES[name]
    step_size = float(step_size)
    eps = float(eps)
    x = [float(v) for v in x0]
    sums = [float(acc0) for _ in x]
    out = []
    for k in range(n_iter + 1):
        f, g = fn(x, params)
        gn = 0.0
        for gi in g:
            gn += gi * gi
        out.append((f, _sqrt(gn), list(x)))
        if not (math.isfinite(f) and _finite(x)):
            break
        if stop_at_target and target is not None and f <= target:
            break
        if k == n_iter:
            break
        if rule == 0:
            for i in range(len(x)):
                sums[i] += g[i] * g[i]
            new = []
            for i in range(len(x)):
                alpha = _div(step_size, eps + _sqrt(sums[i]))
                new.append(x[i] - alpha * g[i])
            x = new
        else:
            x = [x[i] - step_size * g[i] for i in range(len(x))]
    return out


def summarize(traj: list[tuple[float, float, list[float]]], target: float | None = None) -> dict:
    """The kernel's per-trajectory outputs, derived from a `naive_run` trajectory."""
    last = len(traj) - 1
    f_last, _, x_last = traj[-1]
    died = not (math.isfinite(f_last) and _finite(x_last))
    best = math.inf
    for f, _, _ in traj:
        if f < best and f > -math.inf:
            best = f
    hit = -1
    if target is not None:
        for k, (f, _, _) in enumerate(traj):
            if f <= target:
                hit = k
                break
    return {
        "last_iter": last,
        "died_at": last if died else -1,
        "x_final": list(x_last),
        "f_final": f_last,
        "f_best": best,
        "hit_at": hit,
    }


# ---------------------------------------------------------------- the tutorial


def tutorial_adagrad(objective, derivative, bounds, n_iter, step_size, *, rand=None, report=None):
    """The tutorial's ``adagrad()``, line for line.

    ``rand`` draws the start point (default: ``numpy.random.rand``, the
    tutorial's global generator); ``report`` receives each progress line the
    tutorial prints (default: None, silent; pass ``print`` for the original).
    Returns ``[solution, solution_eval, solutions]``: the tutorial's result
    pair plus the list of every solution (its plotting variant).
    """
    from numpy import asarray

    if rand is None:
        from numpy.random import rand
    solutions = list()
    # generate an initial point
    solution = bounds[:, 0] + rand(len(bounds)) * (bounds[:, 1] - bounds[:, 0])
    solution_eval = objective(solution[0], solution[1])  # (not in the tutorial: n_iter == 0)
    # list of the sum square gradients for each variable
    sq_grad_sums = [0.0 for _ in range(bounds.shape[0])]
    # run the gradient descent
    for it in range(n_iter):
        # calculate gradient
        gradient = derivative(solution[0], solution[1])
        # update the sum of the squared partial derivatives
        for i in range(gradient.shape[0]):
            sq_grad_sums[i] += gradient[i] ** 2.0
        # build a solution one variable at a time
        new_solution = list()
        for i in range(solution.shape[0]):
            # calculate the step size for this variable
            alpha = step_size / (1e-8 + math.sqrt(sq_grad_sums[i]))
            # calculate the new position in this variable
            value = solution[i] - alpha * gradient[i]
            # store this variable
            new_solution.append(value)
        # evaluate candidate point
        solution = asarray(new_solution)
        solutions.append(solution)
        solution_eval = objective(solution[0], solution[1])
        # report progress
        if report is not None:
            report(">%d f(%s) = %.5f" % (it, solution, solution_eval))  # noqa: UP031 (as printed)
    return [solution, solution_eval, solutions]


def tutorial_objective(x, y):
    """The tutorial's objective: x^2 + y^2."""
    return x**2.0 + y**2.0


def tutorial_derivative(x, y):
    """The tutorial's derivative: [2x, 2y]."""
    from numpy import asarray

    return asarray([x * 2.0, y * 2.0])


# ------------------------------------------------------------------ comparison


def bits(values) -> list[int]:
    """Each float's IEEE-754 bit pattern, every NaN mapped to one value.

    Two sequences with equal `bits` hold the same numbers exactly, down to the
    sign of zero; NaN payloads (which differ between libm and Python's own
    NaN constant) are not compared.
    """
    out = []
    for v in values:
        v = float(v)
        out.append(-1 if v != v else struct.unpack("<q", struct.pack("<d", v))[0])
    return out
