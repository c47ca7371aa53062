"""An example user objective for `objective=custom`.

    cd examples
    adagrad-lab objective=custom objective.target=my_objective.shifted_quadratic \
        objective.dim=3 objective.bounds=[-2,2]

The function takes a point ``x`` (1-D float64 array) and a gradient array
``grad`` of the same length to fill, and returns f(x). Decorate it with
``numba.njit`` (adagrad-lab jits a plain function for you).
"""

import numba


@numba.njit
def shifted_quadratic(x, grad):
    """f(x) = sum_i (i + 1) (x_i - 1)^2, minimum 0 at x = (1, ..., 1)."""
    f = 0.0
    for i in range(x.shape[0]):
        r = x[i] - 1.0
        f += (i + 1.0) * r * r
        grad[i] = 2.0 * (i + 1.0) * r
    return f
