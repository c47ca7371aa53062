"""The built-in objectives: bit-exact against `naive`, gradients against finite
differences, known minima, and the registry's facts."""

from __future__ import annotations

import math

import naive
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adagrad_lab import objectives_math
from adagrad_lab.objectives import BUILTINS, ellipsoid_weights
from adagrad_lab.objectives_math import BUILTIN_ORDER

MAX_DIM = 8  # largest dimension drawn for objectives of any dimension
SETTINGS = {"deadline": None, "database": None}


def dims_of(name: str) -> range:
    lo, hi = BUILTINS[name].dims
    return range(lo, (MAX_DIM if hi is None else hi) + 1)


def block_eval(name: str, points: np.ndarray, params: np.ndarray):
    """Evaluate built-in ``name`` on (B, d) points through its block function."""
    x = np.ascontiguousarray(np.asarray(points, np.float64).T)  # (d, B)
    g = np.full_like(x, 12345.0)  # garbage: the function must write every entry
    f = np.full(x.shape[1], 12345.0)
    getattr(objectives_math, name)(x, g, f, np.ascontiguousarray(params, np.float64))
    return f, g.T


@st.composite
def problems(draw, finite_only=True):
    """(name, params, points (B, d)) with the points drawn in the objective's bounds,
    or, with ``finite_only=False``, anywhere including inf and NaN."""
    name = draw(st.sampled_from(BUILTIN_ORDER))
    d = draw(st.sampled_from(dims_of(name)))
    c = draw(st.floats(0.0, 8.0))
    params = BUILTINS[name].params(d, c)
    lo, hi = BUILTINS[name].bounds
    if finite_only:
        coord = st.floats(lo, hi)
    else:
        coord = st.one_of(
            st.floats(lo, hi),
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([math.inf, -math.inf, math.nan, 1e155, -1e155, 1e300, 0.0, -0.0]),
        )
    n = draw(st.integers(1, 4))
    points = np.array([[draw(coord) for _ in range(d)] for _ in range(n)], dtype=np.float64)
    return name, params, points


def check_same_as_naive(name, params, points):
    f, g = block_eval(name, points, params)
    for j, x in enumerate(points):
        f_ref, g_ref = naive.value_and_grad(name, x.tolist(), params)
        assert naive.bits([f[j]]) == naive.bits([f_ref]), (name, x, f[j], f_ref)
        assert naive.bits(g[j]) == naive.bits(g_ref), (name, x, g[j], g_ref)


@settings(max_examples=200, **SETTINGS)
@given(problems())
def test_block_equals_naive_bit_for_bit(problem):
    check_same_as_naive(*problem)


@settings(max_examples=100, **SETTINGS)
@given(problems(finite_only=False))
def test_block_equals_naive_at_extreme_points(problem):
    """Overflow, inf and NaN inputs give the same results (NaNs compared as NaN)."""
    check_same_as_naive(*problem)


@pytest.mark.parametrize("name", BUILTIN_ORDER)
def test_block_equals_naive_many_points(name):
    """A wide block (vectorized inner loop with a remainder) matches point by point."""
    rng = np.random.default_rng(7)
    lo, hi = BUILTINS[name].bounds
    for d in list(dims_of(name))[:4]:
        params = BUILTINS[name].params(d, 6.0)
        check_same_as_naive(name, params, rng.uniform(lo, hi, (37, d)))


def test_nonfinite_point_gives_nonfinite_value():
    """The kernel detects divergence from the value alone: check that premise."""
    for name in BUILTIN_ORDER:
        d = dims_of(name)[0]
        params = BUILTINS[name].params(d, 6.0)
        for bad in (math.inf, -math.inf, math.nan):
            for i in range(d):
                x = np.full((1, d), 0.5)
                x[0, i] = bad
                f, _ = block_eval(name, x, params)
                assert not math.isfinite(f[0]), (name, x)


@settings(max_examples=150, **SETTINGS)
@given(problems())
def test_gradient_matches_finite_differences(problem):
    name, params, points = problem
    x = points[0]
    d = x.size
    if name == "ackley":
        assume(np.linalg.norm(x) > 1e-2)  # not differentiable at the origin
    f, g = block_eval(name, x[None, :], params)
    f, g = f[0], g[0]
    # five-point stencil per coordinate, all 4 d points in one block
    h = 1e-5 * np.maximum(1.0, np.abs(x))
    offsets = (2.0, 1.0, -1.0, -2.0)
    pts = np.empty((4 * d, d))
    for i in range(d):
        for m, o in enumerate(offsets):
            p = x.copy()
            p[i] = x[i] + o * h[i]
            pts[4 * i + m] = p
    fs, _ = block_eval(name, pts, params)
    fd = np.empty(d)
    for i in range(d):
        f2, f1, fm1, fm2 = fs[4 * i : 4 * i + 4]
        dx = (pts[4 * i + 1, i] - pts[4 * i + 2, i]) / 2.0  # the step actually taken
        fd[i] = (-f2 + 8.0 * f1 - 8.0 * fm1 + fm2) / (12.0 * dx)
    tol = 1e-6 * np.linalg.norm(g) + 1e-8 * (1.0 + abs(f))
    assert np.all(np.abs(fd - g) <= tol), (name, x, g, fd, tol)


@pytest.mark.parametrize("name", BUILTIN_ORDER)
def test_known_minimum(name):
    obj = BUILTINS[name]
    for d in dims_of(name):
        x = obj.x_min(d)
        assert x.shape == (d,)
        f, g = block_eval(name, x[None, :], obj.params(d, 6.0))
        assert abs(f[0] - obj.f_min(d)) <= 1e-9, (name, d, f[0], obj.f_min(d))
        assert np.all(np.abs(g[0]) <= 1e-9), (name, d, g[0])


@pytest.mark.parametrize("name", BUILTIN_ORDER)
def test_minimum_is_a_local_minimum(name):
    """Nudging x_min in any coordinate does not lower f (it is a minimum, not a saddle)."""
    obj = BUILTINS[name]
    d = dims_of(name)[0] + 1 if obj.dims[1] is None else obj.dims[0]
    x = obj.x_min(d)
    params = obj.params(d, 2.0)
    f0 = block_eval(name, x[None, :], params)[0][0]
    nudged = np.repeat(x[None, :], 2 * d, axis=0)
    for i in range(d):
        nudged[2 * i, i] += 1e-3
        nudged[2 * i + 1, i] -= 1e-3
    fs = block_eval(name, nudged, params)[0]
    assert np.all(fs > f0), (name, fs, f0)


def test_registry():
    assert tuple(BUILTINS) == BUILTIN_ORDER
    for code, name in enumerate(BUILTIN_ORDER):
        obj = BUILTINS[name]
        assert obj.name == name
        assert obj.code == code
        lo, hi = obj.bounds
        assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
        dmin, dmax = obj.dims
        assert dmin >= 1
        assert dmax is None or dmax >= dmin
        for d in dims_of(name):
            x = obj.x_min(d)
            assert np.all((lo <= x) & (x <= hi)), (name, x)
            assert math.isfinite(obj.f_min(d))
        assert hasattr(objectives_math, name)
    for name in ("beale", "booth", "himmelblau"):
        assert BUILTINS[name].dims == (2, 2)
    assert BUILTINS["rosenbrock"].dims[0] == 2


@pytest.mark.parametrize("d", [1, 2, 5, 10])
@pytest.mark.parametrize("c", [0.0, 3.0, 6.0])
def test_ellipsoid_weights(d, c):
    w = ellipsoid_weights(d, c)
    assert w.shape == (d,)
    assert w[0] == 1.0
    if d > 1:
        assert w[-1] == pytest.approx(10.0**c, rel=1e-12)
        assert np.all(np.diff(w) >= 0.0)
    np.testing.assert_array_equal(BUILTINS["ellipsoid"].params(d, c), w)
    assert BUILTINS["sphere"].params(d, c).size >= 1  # the kernel always gets an array
