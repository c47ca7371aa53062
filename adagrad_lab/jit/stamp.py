"""The on-disk cache stamp of the package's jitted code.

Numba stamps a cached function with the modification time and size of its own
source file only, so a kernel would keep running stale code after an edit to a
helper it inlines. The locators here stamp every function defined under the
stamped folders (the jit tools, the catalog, the kernel) with one hash of all
the Python sources in them, found by walking the folders: a file added, moved
or edited there recompiles every cached variant. The hash is of each module's
syntax tree without its docstrings, so an edit to a docstring or a comment, text
no kernel reads, keeps the cache.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
STAMPED = ("jit", "catalog", "kernel")  # folders of the package whose code the kernels run


def stamped_files(package: Path = PACKAGE) -> list[Path]:
    """Every Python source under the stamped folders, in a fixed order."""
    return sorted(p for name in STAMPED for p in (package / name).rglob("*.py"))


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) or not node.body:
            continue
        first = node.body[0]
        value = first.value if isinstance(first, ast.Expr) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
    return tree


def source_digest(package: Path = PACKAGE) -> bytes:
    """The hash of the stamped folders' code: each file's path and docstring-free syntax."""
    digest = hashlib.sha256()
    for path in stamped_files(package):
        tree = _without_docstrings(ast.parse(path.read_bytes()))
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(ast.dump(tree).encode() + b"\0")
    return digest.digest()


_digest = functools.cache(source_digest)


def is_stamped(py_file: str | Path, package: Path = PACKAGE) -> bool:
    """Whether a function defined in ``py_file`` is stamped with the package's digest."""
    parent = Path(py_file).resolve().parent
    return any(parent == package / n or (package / n) in parent.parents for n in STAMPED)


class _PackageStamp:
    def get_source_stamp(self) -> bytes:
        return _digest()

    @classmethod
    def from_function(cls, py_func: Callable[..., object], py_file: str) -> object:
        if not is_stamped(py_file):
            return None
        # a mixin: the Numba locator it is combined with (below) defines from_function
        return super().from_function(py_func, py_file)  # type: ignore[misc]


def install_locators() -> None:
    """Put the package's locators first in Numba's list (once)."""
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - a Numba without the module: default stamps
        return
    names = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")
    bases: list[type] = [b for b in (getattr(caching, n, None) for n in names) if b is not None]
    impl = getattr(caching, "CacheImpl", None)
    if impl is None or len(bases) < len(names):  # pragma: no cover - other Numba layouts
        return
    ours = [type(f"Package{b.__name__}", (_PackageStamp, b), {}) for b in bases]
    if not any(issubclass(c, _PackageStamp) for c in impl._locator_classes):
        impl._locator_classes[:0] = ours
