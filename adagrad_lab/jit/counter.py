"""The kernel's counter-based random numbers: a pure function of (seed, iteration, counter).

Minibatches and gradient noise draw from ``hash(seed, iteration, counter)``
with SplitMix64's mixer, so a number depends on those three integers alone:
never on the trajectory's index, its block, the thread that runs it or the
chunk or shard it falls in, and every step size of one seed sees the same
batches and the same noise (common random numbers). ``domain`` keeps the
streams of different uses (batches, noise) apart.

    key(seed, domain)  = mix64(seed * GAMMA + domain)
    step(key, k)       = mix64(key + (k + 1) * GAMMA)
    draw(step, c)      = mix64(step + (c + 1) * GAMMA)      (uint64, wrapping)
    uniform            = (draw >> 11) * 2^-53                in [0, 1)
"""

from __future__ import annotations

import math

import numpy as np

from adagrad_lab.jit.tools import jit

GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
BATCH = np.uint64(1)  # the domain of minibatch draws
NOISE = np.uint64(2)  # the domain of gradient noise
TWO_PI = 2.0 * math.pi


@jit(inline="always")
def mix64(z):
    """SplitMix64's output function (Stafford's variant 13), a bijection of uint64."""
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))


@jit(inline="always")
def stream(seed, domain, k):
    """The key of iteration ``k``'s numbers for ``seed`` in ``domain``."""
    key = mix64(np.uint64(seed) * GAMMA + domain)
    return mix64(key + np.uint64(k + 1) * GAMMA)


@jit(inline="always")
def uniform(key, c):
    """The ``c``-th uniform in [0, 1) of the stream ``key``."""
    z = mix64(np.uint64(key) + np.uint64(c + 1) * GAMMA)  # np.uint64: a Python int types as int64
    return np.float64(z >> np.uint64(11)) * (1.0 / 2.0**53)


@jit(inline="always")
def below(key, c, m):
    """The ``c``-th integer in 0..m-1 of the stream ``key`` (floor(uniform * m))."""
    return min(np.int64(uniform(key, c) * m), m - 1)


@jit(inline="always")
def normal(key, i):
    """A standard normal for coordinate ``i`` by Box-Muller from uniforms 2i and 2i + 1."""
    u1 = 1.0 - uniform(key, 2 * i)  # in (0, 1]: the logarithm stays finite
    u2 = uniform(key, 2 * i + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(TWO_PI * u2)
