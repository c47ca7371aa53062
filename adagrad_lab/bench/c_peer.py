"""A C peer: the tutorial's AdaGrad on W1-W4 in plain C, compiled here when a compiler is.

The yardstick the kernel's speed is judged by: the same blocks of lanes
(256 trajectories, coordinates contiguous across them), the same operation
order as `objectives_math` and the kernel's fused pass (so the outputs are
expected bit for bit), OpenMP over the blocks with the kernel's thread
count, and outputs allocated by NumPy per call, as the kernel's are. It
computes f only where it is recorded or final and keeps no best value or
divergence check: less bookkeeping than the kernel does. Compiled with
``-O3 -march=native -fno-math-errno -ffp-contract=off`` (no FMA contraction:
the tutorial's bits); without a C compiler on PATH the peer is skipped.
"""

from __future__ import annotations

import atexit
import ctypes
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np

from .workloads import Inputs, Outputs, Workload

OBJECTIVE_CODES = {"sphere": 0, "ellipsoid": 1, "rosenbrock": 2}
FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-fPIC", "-shared")

C_SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define LANES 256

/* f (when wanted) and the gradient of rosenbrock at a block, in objectives_math's order */
static void rosenbrock(int d, int b, const double *X, double *G, double *F, int want_f) {
    for (int j = 0; j < b; j++) { F[j] = 0.0; G[j] = 0.0; }
    for (int i = 0; i < d - 1; i++) {
        const double *xa = X + i * LANES, *xb = X + (i + 1) * LANES;
        double *ga = G + i * LANES, *gb = G + (i + 1) * LANES;
        for (int j = 0; j < b; j++) {
            double xi = xa[j], r = xb[j] - xi * xi, q = 1.0 - xi;
            if (want_f) F[j] += 100.0 * (r * r) + q * q;
            ga[j] += -400.0 * xi * r - 2.0 * q;
            gb[j] = 200.0 * r;
        }
    }
}

/* s += g*g; x -= step / (eps + sqrt(s)) * g, over one coordinate row of a block */
static void update(int b, double *x, double *s, const double *g,
                   const double *step, const double *eps) {
    for (int j = 0; j < b; j++) {
        double si = s[j] + g[j] * g[j];
        s[j] = si;
        x[j] = x[j] - (step[j] / (eps[j] + sqrt(si))) * g[j];
    }
}

/* the value and gradient of sphere (0) or ellipsoid (1), fused with the update unless
   this is the last iteration (then only the value) */
static void separable(int obj, int d, int b, double *X, double *S, double *F, int want_f,
                      int last, const double *w, int nw, const double *step,
                      const double *eps) {
    for (int j = 0; j < b; j++) F[j] = 0.0;
    for (int i = 0; i < d; i++) {
        double wi = w[i < nw ? i : nw - 1], two_w = 2.0 * wi;
        double *x = X + i * LANES, *s = S + i * LANES;
        for (int j = 0; j < b; j++) {
            double xi = x[j];
            if (want_f) F[j] += obj == 0 ? xi * xi : wi * (xi * xi);
            if (last) continue;
            double g = obj == 0 ? xi * 2.0 : two_w * xi;
            double si = s[j] + g * g;
            s[j] = si;
            x[j] = xi - (step[j] / (eps[j] + sqrt(si))) * g;
        }
    }
}

/* rows of x0 and x_final: (n, d); h_f: (n, n_iter + 1) when record, else unused */
void adagrad_blocks(int obj, int d, int64_t n, int n_iter, int threads, const double *x0,
                    const double *step, const double *eps, const double *s0, const double *w,
                    int nw, int record, double *x_final, double *f_final, double *h_f) {
    int64_t n_blocks = (n + LANES - 1) / LANES;
    int rows = n_iter + 1;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t bi = 0; bi < n_blocks; bi++) {
        int64_t j0 = bi * LANES;
        int b = (int)(n - j0 < LANES ? n - j0 : LANES);
        double *X = malloc(sizeof(double) * 3 * d * LANES), *S = X + d * LANES;
        double *G = S + d * LANES, F[LANES];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < b; j++) {
                X[i * LANES + j] = x0[(j0 + j) * d + i];
                S[i * LANES + j] = s0[j0 + j];
            }
        for (int k = 0; k <= n_iter; k++) {
            int last = k == n_iter, want_f = record || last;
            if (obj == 2) {
                rosenbrock(d, b, X, G, F, want_f);
                if (!last)
                    for (int i = 0; i < d; i++)
                        update(b, X + i * LANES, S + i * LANES, G + i * LANES,
                               step + j0, eps + j0);
            } else {
                separable(obj, d, b, X, S, F, want_f, last, w, nw, step + j0, eps + j0);
            }
            if (record)
                for (int j = 0; j < b; j++) h_f[(j0 + j) * rows + k] = F[j];
        }
        for (int j = 0; j < b; j++) {
            f_final[j0 + j] = F[j];
            for (int i = 0; i < d; i++) x_final[(j0 + j) * d + i] = X[i * LANES + j];
        }
        free(X);
    }
}
"""


class NoCompilerError(ImportError):
    """No C compiler here (raised as an ImportError so `load_peers` skips the peer)."""


def _compile() -> tuple[ctypes.CDLL, str]:
    """Build the library in a temporary directory removed at exit; (library, label)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise NoCompilerError("no C compiler (cc) on PATH")
    workdir = Path(tempfile.mkdtemp(prefix="adagrad-lab-c-"))
    atexit.register(shutil.rmtree, workdir, True)
    (workdir / "peer.c").write_text(C_SOURCE)
    for openmp in (("-fopenmp",), ()):
        built = subprocess.run(
            [cc, *FLAGS, *openmp, "-o", str(workdir / "peer.so"), str(workdir / "peer.c"), "-lm"],
            capture_output=True,
            text=True,
        )
        if built.returncode == 0:
            label = "c-openmp" if openmp else "c-1-thread"
            return ctypes.CDLL(str(workdir / "peer.so")), label
    raise NoCompilerError(f"{cc} failed: {built.stderr.strip().splitlines()[-1:]}")


def _pointer(a: np.ndarray) -> ctypes.c_void_p:
    return ctypes.c_void_p(a.ctypes.data)


class CPeer:
    """The C implementation, compiled on construction (NoCompilerError without a compiler)."""

    def __init__(self) -> None:
        self.lib, self.label = _compile()
        self.lib.adagrad_blocks.restype = None

    def prepare(self, w: Workload, inputs: Inputs) -> Callable[[], Outputs]:
        n, d = inputs.x0.shape
        record = len(w.rec_iters()) > 0
        x0 = np.ascontiguousarray(inputs.x0, np.float64)
        hp = [np.ascontiguousarray(v, np.float64) for v in
              (inputs.step_size, inputs.eps, inputs.initial_accumulator)]  # fmt: skip
        weights = np.ascontiguousarray(inputs.params[:d], np.float64)
        if not weights.size:
            weights = np.ones(1)
        code = OBJECTIVE_CODES[w.objective]

        def run() -> Outputs:
            out = {
                "x_final": np.empty((n, d)),
                "f_final": np.empty(n),
                "h_f": np.empty((n, w.n_iter + 1 if record else 0)),
            }
            self.lib.adagrad_blocks(
                ctypes.c_int(code), ctypes.c_int(d), ctypes.c_int64(n),
                ctypes.c_int(w.n_iter), ctypes.c_int(numba.get_num_threads()), _pointer(x0),
                *map(_pointer, hp), _pointer(weights), ctypes.c_int(weights.size),
                ctypes.c_int(int(record)), *map(_pointer, out.values()),
            )  # fmt: skip
            return out if record else {k: out[k] for k in ("x_final", "f_final")}

        return run
