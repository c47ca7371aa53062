"""Plain-Python and plain-NumPy references for the learning problems: the counter-based
generator with explicit 64-bit wrapping, the batches it draws, and the oracle's gradient."""

from __future__ import annotations

import math

import numpy as np

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
BATCH, NOISE = 1, 2


def mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def stream(seed: int, domain: int, k: int) -> int:
    key = mix64((seed * GAMMA + domain) & MASK)
    return mix64((key + (k + 1) * GAMMA) & MASK)


def uniform(key: int, c: int) -> float:
    return (mix64((key + (c + 1) * GAMMA) & MASK) >> 11) * 2.0**-53


def below(key: int, c: int, m: int) -> int:
    return min(int(uniform(key, c) * m), m - 1)


def normal(key: int, i: int) -> float:
    u1 = 1.0 - uniform(key, 2 * i)
    u2 = uniform(key, 2 * i + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def batch(seed: int, k: int, size: int, n: int, replacement: bool) -> list[int]:
    """The samples of a batch: independent draws, or a partial Fisher-Yates shuffle, sorted."""
    key = stream(seed, BATCH, k)
    if replacement:
        return [below(key, t, n) for t in range(size)]
    perm = list(range(n))
    for t in range(size):
        pick = t + below(key, t, n - t)
        perm[t], perm[pick] = perm[pick], perm[t]
    return sorted(perm[:size])


def gradient(kind: str, a: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float, intercept: bool):
    """(f, gradient) of the mean loss over the rows of ``a`` plus l2/2 ||w'||^2."""
    z = a @ w
    mask = np.ones_like(w)
    if intercept:
        mask[-1] = 0.0
    if kind == "least_squares":
        loss, slope = 0.5 * (z - y) ** 2, z - y
    else:
        m = y * z
        loss, slope = np.logaddexp(0.0, -m), -y / (1.0 + np.exp(m))
    f = loss.mean() + 0.5 * l2 * np.sum(mask * w * w)
    return f, a.T @ slope / len(y) + l2 * mask * w
