"""The library of test functions: what each one is, its bounds, its known minimum.

The arithmetic lives in `objectives_math` (jitted, block form); this module
holds the facts the rest of the program needs to validate a config, draw
start points and judge results.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import numbers
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .objectives_math import BUILTIN_ORDER

STYBLINSKI_TANG_ARGMIN = -2.903534027771178


@dataclass(frozen=True)
class Objective:
    """A built-in test function: name, kernel code, default box, dimension rule, known minimum."""

    name: str
    bounds: tuple[float, float]
    f_min: Callable[[int], float]
    x_min: Callable[[int], np.ndarray]
    dims: tuple[int, int | None] = (1, None)  # (smallest, largest or None) allowed dimension
    summary: str = ""
    code: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", BUILTIN_ORDER.index(self.name))

    def params(self, dim: int, log10_condition: float = 6.0) -> np.ndarray:
        """The parameter vector the kernel reads (the ellipsoid's weights; empty otherwise)."""
        if self.name == "ellipsoid":
            return ellipsoid_weights(dim, log10_condition)
        return np.zeros(1)


def ellipsoid_weights(dim: int, log10_condition: float) -> np.ndarray:
    """w_i = 10^(c*i/(d-1)): condition number 10^c between the flattest and steepest axis."""
    if dim == 1:
        return np.ones(1)
    return 10.0 ** (log10_condition * np.arange(dim) / (dim - 1))


def _zeros(d: int) -> np.ndarray:
    return np.zeros(d)


def _const(value: float) -> Callable[[int], np.ndarray]:
    return lambda d: np.full(d, value)


def _zero_min(d: int) -> float:
    return 0.0


BUILTINS: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective(
            "sphere", (-1.0, 1.0), _zero_min, _zeros, summary="sum x_i^2 (the tutorial's bowl)"
        ),
        Objective(
            "ellipsoid",
            (-1.0, 1.0),
            _zero_min,
            _zeros,
            summary="sum 10^(c*i/(d-1)) x_i^2, condition number 10^c",
        ),
        Objective(
            "rosenbrock",
            (-2.0, 2.0),
            _zero_min,
            _const(1.0),
            dims=(2, None),
            summary="sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2",
        ),
        Objective(
            "rastrigin",
            (-5.12, 5.12),
            _zero_min,
            _zeros,
            summary="10 d + sum x_i^2 - 10 cos(2 pi x_i)",
        ),
        Objective("ackley", (-32.768, 32.768), _zero_min, _zeros, summary="Ackley's function"),
        Objective(
            "styblinski_tang",
            (-5.0, 5.0),
            lambda d: (
                0.5
                * d
                * (
                    STYBLINSKI_TANG_ARGMIN**4
                    - 16 * STYBLINSKI_TANG_ARGMIN**2
                    + 5 * STYBLINSKI_TANG_ARGMIN
                )
            ),
            _const(STYBLINSKI_TANG_ARGMIN),
            summary="sum (x_i^4 - 16 x_i^2 + 5 x_i) / 2",
        ),
        Objective(
            "beale",
            (-4.5, 4.5),
            _zero_min,
            lambda d: np.array([3.0, 0.5]),
            dims=(2, 2),
            summary="2-D, minimum at (3, 0.5)",
        ),
        Objective(
            "booth",
            (-10.0, 10.0),
            _zero_min,
            lambda d: np.array([1.0, 3.0]),
            dims=(2, 2),
            summary="2-D, minimum at (1, 3)",
        ),
        Objective(
            "himmelblau",
            (-5.0, 5.0),
            _zero_min,
            lambda d: np.array([3.0, 2.0]),
            dims=(2, 2),
            summary="2-D, four minima of value 0, one at (3, 2)",
        ),
    )
}


EXPECTED = "value_and_grad(x, grad) -> float that fills grad"
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def load_user_function(target: str) -> Callable:
    """Import ``package.module.function`` and return the function (jitted or plain).

    The working directory is searched last, so a module next to where the
    command runs works without installing it. Every failure is a ValueError
    whose one-line message says what went wrong and what is expected.
    """
    if not isinstance(target, str) or not _DOTTED.fullmatch(target):
        raise ValueError(
            "expected a dotted path module.function (e.g. my_objective.value_and_grad), "
            f"got {target!r}"
        )
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    importlib.invalidate_caches()  # a module written since the last import is found too
    module_name, _, attr = target.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        where = f"{exc.filename}, line {exc.lineno}" if exc.filename else "its source"
        raise ValueError(f"syntax error in module {module_name!r} ({where}): {exc.msg}") from None
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ValueError(
                f"no module named {exc.name!r} (looked on PYTHONPATH and in the working "
                f"directory {os.getcwd()}); expected a dotted path module.function"
            ) from None
        raise ValueError(f"importing module {module_name!r} raised {_one_line(exc)}") from None
    except (Exception, SystemExit) as exc:
        raise ValueError(f"importing module {module_name!r} raised {_one_line(exc)}") from None
    try:
        fn = getattr(module, attr)
    except AttributeError:
        where = getattr(module, "__file__", None) or module_name
        raise ValueError(
            f"module {module_name!r} ({where}) has no attribute {attr!r}; expected {EXPECTED}"
        ) from None
    if not callable(fn):
        raise ValueError(
            f"{target} is not a function (it is {type(fn).__name__} {_one_line_repr(fn)}); "
            f"expected {EXPECTED}"
        )
    return fn


def check_user_function(fn: Callable, target: str, x: np.ndarray) -> Callable:
    """Call ``fn`` once at the point ``x`` as the kernel will, and return it jitted.

    Checks the signature, that the call neither raises nor returns something
    other than a number, and that Numba compiles it (a plain Python function is
    jitted here, so the kernel compiles the same thing). Raises ValueError with
    a one-line message otherwise.
    """
    import numba

    py_func = getattr(fn, "py_func", fn)
    try:
        inspect.signature(py_func).bind(x, x)
    except TypeError:
        raise ValueError(
            f"{target}{_signature(py_func)} has the wrong signature; expected {EXPECTED}"
        ) from None
    except ValueError:  # no signature to read (a builtin): the call below tells
        pass
    jitted = fn if hasattr(fn, "py_func") else None
    point = np.array(x, dtype=np.float64)
    if jitted is None:  # plain Python: run it as written first, so its own errors read plainly
        _probe(fn, target, point, "")
        try:
            jitted = numba.njit(fn)
        except Exception as exc:  # not a function numba can take at all
            raise ValueError(
                f"numba cannot compile {target} (a plain Python function): {explain_error(exc)}"
            ) from None
        _probe(jitted, target, point, " (a plain Python function, jitted here)")
    else:
        _probe(jitted, target, point, "")
    return jitted


def _probe(fn: Callable, target: str, x: np.ndarray, what: str) -> None:
    grad = np.zeros_like(x)
    try:
        value = fn(x.copy(), grad)
    except Exception as exc:
        if _from_numba(exc):
            hint = "; write it in the Python subset numba compiles" if what else ""
            raise ValueError(
                f"numba cannot compile {target}{what}: {explain_error(exc)}{hint}"
            ) from None
        raise ValueError(
            f"calling {target}{what} at x={np.array2string(x, threshold=6)} raised {_one_line(exc)}"
        ) from None
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        shown = _one_line_repr(value)
        raise ValueError(
            f"{target}{what} returned {type(value).__name__} {shown}, not a number; "
            f"expected {EXPECTED}"
        )


def user_source(fn: Callable) -> dict:
    """Where a user's function comes from, for the config hash: its dotted path, the absolute
    path of the module file that defines it and the sha256 of that whole file (so editing a
    helper in the same file counts too). ``file`` and ``sha256`` are None when the module has
    no source file."""
    py_func = getattr(fn, "py_func", fn)
    module_name = getattr(py_func, "__module__", None) or ""
    name = getattr(py_func, "__qualname__", None) or type(py_func).__qualname__
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    digest = None
    if file:
        file = os.path.abspath(file)
        try:
            with open(file, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            file = None
    return {"target": f"{module_name}.{name}", "file": file, "sha256": digest}


def explain_error(exc: BaseException) -> str:
    """One line for an exception from compiling or running a user's function.

    Numba's typing errors are many lines of pipeline stages and source
    excerpts: the first line that says what is wrong is kept. An exception the
    function raised inside the kernel arrives as a SystemError whose cause is
    the function's own exception.
    """
    while isinstance(exc, SystemError) and exc.__cause__ is not None:
        exc = exc.__cause__
    if not _from_numba(exc):
        return _one_line(exc)
    noise = ("Failed in ", "During:", "File ", "<source elided>", "^")
    lines = [_ANSI.sub("", line).strip() for line in str(exc).splitlines()]
    useful = [line for line in lines if line and not line.startswith(noise)]
    return _shorten(useful[0] if useful else type(exc).__name__)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _from_numba(exc: BaseException) -> bool:
    """An error of Numba's compiler (typing, lowering, unsupported bytecode), not the function's."""
    return type(exc).__module__.split(".")[0] == "numba"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return _shorten(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _one_line_repr(value: object) -> str:
    return _shorten(" ".join(repr(value).split()), 80)


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _signature(fn: Callable) -> str:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(...)"
