"""A user's own objective: loading it by dotted path, checking it, hashing its source.

The built-in objectives are records in `registry`; their arithmetic lives in
`objectives_math`.
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
from typing import cast

import numpy as np

EXPECTED = "value_and_grad(x, grad) -> float that fills grad"
# A user's objective, plain Python or jitted: value_and_grad(x, grad) -> f, filling grad.
ValueAndGrad = Callable[[np.ndarray, np.ndarray], float]
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def load_user_function(target: str) -> ValueAndGrad:
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
        fn: ValueAndGrad = getattr(module, attr)
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


def check_user_function(fn: ValueAndGrad, target: str, x: np.ndarray) -> ValueAndGrad:
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
            # numba's stubs take a callable here for a signature: cast to what njit returns
            jitted = cast("ValueAndGrad", numba.njit(fn))
        except Exception as exc:  # not a function numba can take at all
            raise ValueError(
                f"numba cannot compile {target} (a plain Python function): {explain_error(exc)}"
            ) from None
        _probe(jitted, target, point, " (a plain Python function, jitted here)")
    else:
        _probe(jitted, target, point, "")
    return jitted


def _probe(fn: ValueAndGrad, target: str, x: np.ndarray, what: str) -> None:
    """One call as the kernel makes it; refuse what raises, returns no number or fills no gradient.

    ``grad`` is a view of a longer buffer whose every entry holds a marked NaN
    first: an entry still marked after the call was never written (or was
    updated from the old content, ``+=``), and a mark gone past the end means
    the function wrote beyond ``grad`` (a jitted function has no bounds check).
    """
    d = x.shape[0]
    buffer = np.full(d + _PAD, _UNWRITTEN)
    grad = buffer[:d]
    try:
        value = fn(x.copy(), grad)
    except Exception as exc:
        if _from_numba(exc):
            hint = "; write it in the Python subset numba compiles" if what else ""
            raise ValueError(
                f"numba cannot compile {target}{what}: {explain_error(exc)}{hint}"
            ) from None
        text = str(exc)
        sized = isinstance(exc, IndexError) or ("shape" in text or "size" in text)
        hint = f" (x and grad have length d = {d})" if sized else ""
        raise ValueError(
            f"calling {target}{what} at {_point(x)} raised {_one_line(exc)}{hint}"
        ) from None
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        shown = _one_line_repr(value)
        raise ValueError(
            f"{target}{what} returned {type(value).__name__} {shown}, not a number; "
            f"expected {EXPECTED}"
        )
    problem = _gradient_problem(buffer, x)
    if problem is not None:
        raise ValueError(
            f"{target}{what} {problem} at {_point(x)}; it must write the gradient into grad in "
            f"place, grad[i] = df/dx_i for i = 0..{d - 1} (length d = {d}; not +=, not a new "
            "array), and return f"
        )


# The mark the probe's grad buffer holds before the call: a NaN with a payload that
# arithmetic never makes (it yields the default NaN), compared by its bits.
_UNWRITTEN_BITS = np.uint64(0x7FF8_0DAD_A68A_D1D1)
_UNWRITTEN = np.array([_UNWRITTEN_BITS]).view(np.float64)[0]
_PAD = 64  # marked entries past the end of grad


def _gradient_problem(buffer: np.ndarray, x: np.ndarray) -> str | None:
    """What the probe's call did wrong to its grad buffer: past its end first, then in it."""
    d = x.shape[0]
    marked = buffer.view(np.uint64) == _UNWRITTEN_BITS
    if not marked[d:].all():
        return f"wrote past the end of grad (length {d}: is it written for another dimension?)"
    if marked[:d].any():
        left = np.flatnonzero(marked[:d])
        which = "every entry of grad" if left.size == d else _entries(left, d)
        return f"left {which} unwritten"
    bad = np.flatnonzero(np.isfinite(x) & ~np.isfinite(buffer[:d]))
    if bad.size:
        shown = ", ".join(f"grad[{i}] = {buffer[i]}" for i in bad[:3])
        return f"wrote a non-finite gradient ({shown}{', ...' if bad.size > 3 else ''})"
    return None


def _entries(index: np.ndarray, d: int) -> str:
    shown = ", ".join(f"grad[{i}]" for i in index[:4])
    more = f" and {index.size - 4} more" if index.size > 4 else ""
    return f"{shown}{more} of {d}"


def _point(x: np.ndarray) -> str:
    return f"x={np.array2string(x, threshold=6)}"


def user_source(fn: ValueAndGrad) -> dict[str, str | None]:
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


def _signature(fn: Callable[..., object]) -> str:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(...)"
