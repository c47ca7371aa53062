"""One writer per run directory, and what its manifest accounts for.

A run holds an exclusive lock on its directory from before its first write to
after its last, so two runs can never mix their files. Every result file must
be one the manifest knows, and a finished chunk counts only while its files
have the size and SHA-256 the manifest recorded when they were written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adagrad_lab.store import parquet as storage

LOCK = ".adagrad-lab.lock"
DATASETS = (storage.TRAJECTORIES, storage.HISTORY)
_PART = re.compile(r"part-(\d{6})(?:-\d+)?\.parquet")


class RunDirError(RuntimeError):
    """The run directory cannot be used as it is; the message says why and what to do."""


def prepare(run_dir: Path) -> None:
    """Create ``run_dir`` (and its parents), or say in one line why it cannot be written."""
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"{run_dir}: exists and is not a directory; choose another hydra.run.dir")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirError(f"{run_dir}: cannot create the run directory ({exc.strerror})") from None
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise RunDirError(f"{run_dir}: not writable; choose another hydra.run.dir")


@contextlib.contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``run_dir`` while the block runs; refuse at once if it is held.

    The lock is an ``flock`` on a file inside the directory (released by the
    kernel however the process ends), removed when the block ends.
    """
    path = run_dir / LOCK
    fd = _acquire(path, run_dir)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def refuse_if_locked(run_dir: Path) -> None:
    """Raise RunDirError at once when another process holds ``run_dir``'s lock, before any
    slow work (compiling) starts; `locked` takes the lock itself later. Writes nothing."""
    path = Path(run_dir) / LOCK
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # no lock file: nobody writes here (or `locked` will say why it cannot)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise _busy(run_dir, os.pread(fd, 64, 0).decode(errors="replace").strip()) from None
    finally:
        os.close(fd)


def _busy(run_dir: Path, holder: str) -> RunDirError:
    return RunDirError(
        f"{run_dir}: another run (pid {holder or '?'}) is writing here; wait for it to finish "
        "or choose another hydra.run.dir"
    )


def _acquire(path: Path, run_dir: Path) -> int:
    """An open, locked descriptor of the lock file that is still the one at ``path``."""
    for _ in range(10):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunDirError(f"{path}: cannot create the lock file ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise RunDirError(f"{path}: cannot lock ({exc.strerror})") from None
            raise _busy(run_dir, holder) from None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # the holder removed the file as we locked it: lock the new one
    raise RunDirError(f"{path}: the lock file keeps changing; is another run starting here?")


def remove_temporaries(run_dir: Path) -> None:
    """Delete half-written files that a killed run left (only under the lock: none is live)."""
    for folder in (run_dir, *(run_dir / d for d in DATASETS)):
        if folder.is_dir():
            for path in folder.glob(".*.tmp"):
                path.unlink(missing_ok=True)


def result_files(run_dir: Path) -> list[str]:
    """Every file in the run's dataset folders, relative to ``run_dir``."""
    out = []
    for dataset in DATASETS:
        folder = run_dir / dataset
        if folder.is_dir():
            out += [f"{dataset}/{p.name}" for p in sorted(folder.iterdir())]
    return out


def chunk_of(name: str) -> int | None:
    """The chunk index a part file belongs to, from its name; None for any other file."""
    match = _PART.fullmatch(Path(name).name)
    return int(match.group(1)) if match else None


def unaccounted(run_dir: Path, manifest: dict[str, Any]) -> list[str]:
    """Result files that belong to no chunk of ``manifest``."""
    known = {c["index"] for c in manifest["chunks"]}
    return [f for f in result_files(run_dir) if chunk_of(f) not in known]


def chunk_problem(run_dir: Path, chunk: dict[str, Any]) -> str | None:
    """Why a chunk's files cannot be trusted, or None when each matches its record."""
    files = chunk.get("files")
    if not isinstance(files, dict) or not files:
        return "no file checksums recorded"
    for name, record in files.items():
        path = run_dir / name
        if not path.is_file():
            return f"{name} is missing"
        if path.stat().st_size != record.get("bytes"):
            return f"{name} has {path.stat().st_size} bytes, {record.get('bytes')} were written"
        if storage.file_record(path)["sha256"] != record.get("sha256"):
            return f"{name} does not match its SHA-256"
    present = {f for f in result_files(run_dir) if chunk_of(f) == chunk["index"]}
    extra = sorted(present - set(files))
    return f"{extra[0]} is not one of the chunk's files" if extra else None


def remove_chunk_files(run_dir: Path, index: int) -> None:
    """Delete every part file of chunk ``index`` (before it is computed again)."""
    for name in result_files(run_dir):
        if chunk_of(name) == index:
            (run_dir / name).unlink(missing_ok=True)


def runs_under(path: Path) -> list[Path]:
    """The run directories ``path`` names: itself, or each job of a multirun directory."""
    path = Path(path)
    if (path / storage.MANIFEST).exists() or not path.is_dir():
        return [path]
    jobs = {p.parent for p in path.glob(f"*/{storage.MANIFEST}")}
    return sorted(jobs, key=lambda p: (len(p.name), p.name))
