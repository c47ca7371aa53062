"""The built-in objectives: bit-exact against `naive`, gradients against finite
differences, values at hand-worked points, the literature's minima, and the
registry's facts. Every expected value comes from outside the code under test."""

from __future__ import annotations

import math

import naive
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adagrad_lab.catalog import TEST_FUNCTIONS, ellipsoid_weights

MAX_DIM = 8  # largest dimension drawn for objectives of any dimension
SETTINGS = {"deadline": None, "database": None}


def dims_of(name: str) -> range:
    lo, hi = TEST_FUNCTIONS[name].dims
    return range(lo, (MAX_DIM if hi is None else hi) + 1)


def block_eval(name: str, points: np.ndarray, params: np.ndarray):
    """Evaluate built-in ``name`` on (B, d) points through its block function."""
    x = np.ascontiguousarray(np.asarray(points, np.float64).T)  # (d, B)
    g = np.full_like(x, 12345.0)  # garbage: the function must write every entry
    f = np.full(x.shape[1], 12345.0)
    TEST_FUNCTIONS[name].evaluate(x, g, f, np.ascontiguousarray(params, np.float64))
    return f, g.T


@st.composite
def problems(draw, finite_only=True):
    """(name, params, points (B, d)) with the points drawn in the objective's bounds,
    or, with ``finite_only=False``, anywhere including inf and NaN."""
    name = draw(st.sampled_from(tuple(TEST_FUNCTIONS)))
    d = draw(st.sampled_from(dims_of(name)))
    c = draw(st.floats(0.0, 8.0))
    params = TEST_FUNCTIONS[name].params(d, c)
    lo, hi = TEST_FUNCTIONS[name].bounds
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


@pytest.mark.parametrize("name", tuple(TEST_FUNCTIONS))
def test_block_equals_naive_many_points(name):
    """A wide block (vectorized inner loop with a remainder) matches point by point."""
    rng = np.random.default_rng(7)
    lo, hi = TEST_FUNCTIONS[name].bounds
    for d in list(dims_of(name))[:4]:
        params = TEST_FUNCTIONS[name].params(d, 6.0)
        check_same_as_naive(name, params, rng.uniform(lo, hi, (37, d)))


def test_nonfinite_point_gives_nonfinite_value():
    """The kernel detects divergence from the value alone: check that premise."""
    for name in tuple(TEST_FUNCTIONS):
        d = dims_of(name)[0]
        params = TEST_FUNCTIONS[name].params(d, 6.0)
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


def _styblinski_tang_argmin() -> float:
    """The global minimizer of x^4 - 16 x^2 + 5 x: the lowest of the three real roots of its
    derivative 4 x^3 - 32 x + 5 (x^3 - 8 x + 5/4 = 0), by the trigonometric cubic formula."""
    p, q = -8.0, 1.25
    m = 2.0 * math.sqrt(-p / 3.0)
    theta = math.acos(3.0 * q / (2.0 * p) * math.sqrt(-3.0 / p)) / 3.0
    roots = [m * math.cos(theta - 2.0 * math.pi * k / 3.0) for k in range(3)]
    return min(roots, key=lambda x: x**4 - 16.0 * x**2 + 5.0 * x)


ST_X = _styblinski_tang_argmin()
ST_F = 0.5 * (ST_X**4 - 16.0 * ST_X**2 + 5.0 * ST_X)  # per coordinate

# Global minima (x*, f*) as published (Jamil & Yang 2013; Surjanovic & Bingham's library),
# written out here, not read from the registry.
LITERATURE = {
    "sphere": (lambda d: [0.0] * d, lambda d: 0.0),
    "ellipsoid": (lambda d: [0.0] * d, lambda d: 0.0),
    "rotated_ellipsoid": (lambda d: [0.0] * d, lambda d: 0.0),
    "rosenbrock": (lambda d: [1.0] * d, lambda d: 0.0),
    "rastrigin": (lambda d: [0.0] * d, lambda d: 0.0),
    "ackley": (lambda d: [0.0] * d, lambda d: 0.0),
    "styblinski_tang": (lambda d: [ST_X] * d, lambda d: ST_F * d),
    "beale": (lambda d: [3.0, 0.5], lambda d: 0.0),
    "booth": (lambda d: [1.0, 3.0], lambda d: 0.0),
    "himmelblau": (lambda d: [3.0, 2.0], lambda d: 0.0),
}


def test_styblinski_tang_reference_matches_the_literature():
    """x* = -2.903534 and f* = -39.16617 d (to the digits usually published)."""
    assert abs(ST_X - -2.903534) < 5e-7
    assert abs(ST_F - -39.16617) < 5e-6


@pytest.mark.parametrize("name", tuple(TEST_FUNCTIONS))
def test_known_minimum(name):
    """The registry's x_min and f_min are the literature's, and the function has value f*
    and zero gradient there."""
    obj = TEST_FUNCTIONS[name]
    x_lit, f_lit = LITERATURE[name]
    for d in dims_of(name):
        x = np.array(x_lit(d))
        assert obj.x_min(d).shape == (d,)
        np.testing.assert_allclose(obj.x_min(d), x, rtol=0.0, atol=1e-12)
        assert abs(obj.f_min(d) - f_lit(d)) <= 1e-12 * (1.0 + abs(f_lit(d))), (name, d)
        f, g = block_eval(name, x[None, :], obj.params(d, 6.0))
        assert abs(f[0] - f_lit(d)) <= 1e-9 * (1.0 + abs(f_lit(d))), (name, d, f[0], f_lit(d))
        assert np.all(np.abs(g[0]) <= 1e-9), (name, d, g[0])


def test_himmelblau_has_four_minima():
    """Himmelblau's other three minima (published to 6 decimals) have value 0 too."""
    others = [(-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    f, g = block_eval("himmelblau", np.array(others), np.zeros(1))
    assert np.all(f < 1e-8), f
    assert np.all(np.abs(g) < 1e-3), g


# (name, d, log10 condition, point, f) with f worked out by hand from the textbook formula
CLOSED_FORM = [
    ("sphere", 3, 0.0, [1.0, 2.0, 3.0], 14.0),
    ("ellipsoid", 3, 2.0, [1.0, 1.0, 1.0], 111.0),  # weights 1, 10, 100
    ("ellipsoid", 3, 6.0, [1.0, -1.0, 2.0], 4001001.0),  # 1 + 1000 + 4 * 10^6
    ("rosenbrock", 4, 0.0, [0.0] * 4, 3.0),  # (1 - 0)^2 per link
    ("rosenbrock", 2, 0.0, [-1.0, 1.0], 4.0),
    ("rastrigin", 3, 0.0, [1.0] * 3, 3.0),  # cos(2 pi) = 1
    ("rastrigin", 2, 0.0, [0.5, -0.5], 40.5),  # 10 d + d (0.25 + 10)
    ("ackley", 3, 0.0, [1.0] * 3, 20.0 - 20.0 * math.exp(-0.2)),
    ("styblinski_tang", 2, 0.0, [1.0, -1.0], -15.0),  # (1 - 16 + 5) / 2 + (1 - 16 - 5) / 2
    ("beale", 2, 0.0, [0.0, 0.0], 14.203125),  # 1.5^2 + 2.25^2 + 2.625^2
    ("booth", 2, 0.0, [0.0, 0.0], 74.0),  # 7^2 + 5^2
    ("himmelblau", 2, 0.0, [0.0, 0.0], 170.0),  # 11^2 + 7^2
]


@pytest.mark.parametrize(("name", "d", "c", "point", "value"), CLOSED_FORM)
def test_closed_form_values(name, d, c, point, value):
    f, _ = block_eval(name, np.array([point]), TEST_FUNCTIONS[name].params(d, c))
    assert f[0] == pytest.approx(value, rel=1e-13, abs=1e-13), (name, point, f[0], value)


@pytest.mark.parametrize("name", tuple(TEST_FUNCTIONS))
def test_minimum_is_a_local_minimum(name):
    """Nudging x* in any coordinate does not lower f (it is a minimum, not a saddle)."""
    obj = TEST_FUNCTIONS[name]
    d = dims_of(name)[0] + 1 if obj.dims[1] is None else obj.dims[0]
    x = np.array(LITERATURE[name][0](d))
    params = obj.params(d, 2.0)
    f0 = block_eval(name, x[None, :], params)[0][0]
    nudged = np.repeat(x[None, :], 2 * d, axis=0)
    for i in range(d):
        nudged[2 * i, i] += 1e-3
        nudged[2 * i + 1, i] -= 1e-3
    fs = block_eval(name, nudged, params)[0]
    assert np.all(fs > f0), (name, fs, f0)


# The kernel codes are positions in module-name order (the catalog discovers one module
# per objective); results store names, never codes, so adding a module breaks no run.
KERNEL_ORDER = (
    "ackley",
    "beale",
    "booth",
    "ellipsoid",
    "himmelblau",
    "rastrigin",
    "rosenbrock",
    "rotated_ellipsoid",
    "sphere",
    "styblinski_tang",
)


def test_registry():
    assert tuple(TEST_FUNCTIONS) == KERNEL_ORDER
    codes = [TEST_FUNCTIONS[name].code for name in KERNEL_ORDER]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)  # name order, distinct
    for name in KERNEL_ORDER:
        obj = TEST_FUNCTIONS[name]
        assert obj.name == name
        lo, hi = obj.bounds
        assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
        dmin, dmax = obj.dims
        assert dmin >= 1
        assert dmax is None or dmax >= dmin
        for d in dims_of(name):
            x = obj.x_min(d)
            assert np.all((lo <= x) & (x <= hi)), (name, x)
            assert math.isfinite(obj.f_min(d))
    for name in ("beale", "booth", "himmelblau"):
        assert TEST_FUNCTIONS[name].dims == (2, 2)
    assert TEST_FUNCTIONS["rosenbrock"].dims[0] == 2


def weights_by_hand(d: int, c: float) -> list[float]:
    """The ellipsoid's weights from their definition: w_i = 10^(c i / (d - 1)), w = [1] if d = 1."""
    return [1.0] if d == 1 else [10.0 ** (c * i / (d - 1)) for i in range(d)]


@pytest.mark.parametrize("d", [1, 2, 5, 10])
@pytest.mark.parametrize("c", [0.0, 3.0, 6.0])
def test_ellipsoid_weights(d, c):
    want = weights_by_hand(d, c)
    for w in (ellipsoid_weights(d, c), TEST_FUNCTIONS["ellipsoid"].params(d, c)):
        assert w.shape == (d,)
        assert w.tolist() == pytest.approx(want, rel=1e-14)
        assert w[0] == 1.0
        if d > 1:  # condition number 10^c, geometric steps of 10^(c / (d - 1))
            assert w[-1] / w[0] == pytest.approx(10.0**c, rel=1e-12)
            assert (w[1:] / w[:-1]).tolist() == pytest.approx([10.0 ** (c / (d - 1))] * (d - 1))
    assert TEST_FUNCTIONS["sphere"].params(d, c).size >= 1  # the kernel always gets an array


@pytest.mark.parametrize("d", [2, 5, 12])
def test_the_rotation_is_orthogonal_and_its_own_per_instance(d):
    from adagrad_lab.catalog.objectives.rotated_ellipsoid import rotation

    q1, q2 = rotation(d, 1), rotation(d, 2)
    np.testing.assert_allclose(q1 @ q1.T, np.eye(d), atol=1e-12)
    assert not np.allclose(q1, q2) and np.array_equal(q1, rotation(d, 1))
    assert np.array_equal(rotation(d, 0), np.eye(d))


def test_the_rotated_ellipsoid_keeps_the_condition_and_moves_the_axes():
    d, c = 6, 4.0
    params = TEST_FUNCTIONS["rotated_ellipsoid"].params(d, c, 3)
    w, q = params[:d], params[d:].reshape(d, d)
    hessian = 2.0 * q.T @ np.diag(w) @ q  # f = x^T Q^T W Q x
    eig = np.linalg.eigvalsh(hessian)
    assert eig.max() / eig.min() == pytest.approx(10.0**c, rel=1e-9)
    off_diagonal = hessian - np.diag(np.diag(hessian))
    assert np.abs(off_diagonal).max() > 1e-2 * np.abs(hessian).max()  # not axis-aligned
