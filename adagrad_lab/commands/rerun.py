"""`adagrad-lab-rerun RUN_DIR [OVERRIDES...] [--out DIR]`: run a saved run again, from its config.

The saved, resolved config of the run (or of every job of a multirun
directory; with ``--recursive``, of every run below the folder) is run again
into a new directory, with optional ``key=value`` overrides of its values.
Nothing of the package's own defaults leaks in: a tutorial run reruns the
tutorial, bit for bit.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any, cast

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from adagrad_lab.commands.exits import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    error_line,
    quiet_when_the_reader_leaves,
)
from adagrad_lab.commands.found import add_recursive, announce
from adagrad_lab.commands.run import ResultsComplete, run, write_report_safely
from adagrad_lab.store import discover, rundir
from adagrad_lab.store import parquet as storage
from adagrad_lab.sweep.plan import ConfigError
from adagrad_lab.sweep.schema import Config, register
from adagrad_lab.sweep.validate import make_plan

PROG = "adagrad-lab-rerun"
CONFIG = "config.yaml"
OUT_KEYS = ("hydra.run.dir", "--out")
UNREADABLE = f"manifest unreadable: used {CONFIG}"  # rerun_of's note when only config.yaml was read


def saved_config(run_dir: Path) -> dict[str, Any]:
    """The resolved config a run saved (its config.yaml, else the manifest's copy)."""
    path = Path(run_dir) / CONFIG
    if path.is_file():
        try:
            data = OmegaConf.to_container(OmegaConf.load(path))
        except (OSError, OmegaConfBaseException, ValueError) as exc:
            raise storage.RunDataError(f"{path}: not a readable config ({exc})") from None
        if isinstance(data, dict):
            return cast("dict[str, Any]", data)  # a config's keys are strings
        raise storage.RunDataError(f"{path}: not a config (a mapping of keys)")
    config: dict[str, Any] = storage.read_manifest(run_dir)["config"]
    return config


def compose(saved: dict[str, Any], overrides: list[str]) -> DictConfig:
    """The saved config with ``key=value`` overrides applied, typed by the schema.

    Only existing keys may change; a group (``objective=sphere``) cannot be
    swapped here, since the saved config holds resolved values, not choices.
    """
    cfg = OmegaConf.merge(OmegaConf.structured(Config), saved)
    for item in overrides:
        key, sep, _ = item.partition("=")
        if not sep or not key:
            raise ConfigError(item, "an override is key=value, e.g. sweep.seeds=10")
        node = OmegaConf.select(cfg, key, default=KeyError)
        if node is KeyError:
            raise ConfigError(key, "not a key of the saved config")
        if isinstance(node, DictConfig):
            raise ConfigError(
                key, "a rerun cannot swap a config group; run adagrad-lab with it instead"
            )
        try:
            cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist([item]))
        except OmegaConfBaseException as exc:
            raise ConfigError(key, str(exc).splitlines()[0]) from None
    return cast(DictConfig, cfg)  # merged onto the schema's DictConfig


def default_out() -> Path:
    """A new directory under ./outputs, named like a run's, marked as a rerun."""
    stamp = time.strftime("%Y-%m-%d/%H-%M-%S")
    return Path("outputs") / f"{stamp}-rerun-{secrets.token_hex(2)}"


def rerun(run_dir: Path, out: Path, overrides: list[str], recursive: bool = False) -> list[Path]:
    """Rerun ``run_dir`` (each job of a multirun, or with ``recursive`` every run below it)
    into ``out``, each job into its path below ``run_dir``; the directories written. Of
    several jobs, as in a multirun, one comparison report is written into ``out/report``
    (each job's own only with ``report.jobs=true``).

    A job the multirun should hold but lacks, and a manifest that cannot be
    read (the config then comes from config.yaml alone), are one warning line
    each on stderr; the rerun goes on with what is there.
    """
    run_dir = Path(run_dir)
    found = discover.find_runs(run_dir, recursive)
    for gone in (job for jobs in found.missing.values() for job in jobs):
        _warn(f"{gone.line}; rerunning the other jobs")
    if not found.runs:
        raise storage.RunDataError(f"{run_dir}: no job of the multirun is left; nothing to rerun")
    plans = []
    for job in found.runs:
        target = out / os.path.relpath(job, run_dir) if job != run_dir else out
        if target.resolve() == job.resolve():
            raise ConfigError("--out", f"{target} is the run itself; choose a new directory")
        cfg = compose(saved_config(job), overrides)
        make_plan(cfg)  # every job's values checked before any is run
        plans.append((job, target, cfg, rerun_of(job)))
    announce(PROG, found.runs)
    many = len(plans) > 1 or found.runs[0] != run_dir
    written = []
    for n, (job, target, cfg, origin) in enumerate(plans, 1):
        try:
            run(cfg, target, overrides, provenance={"rerun_of": origin}, job_of_many=many)
        except ResultsComplete:
            if n < len(plans):  # jobs not yet rerun: the same command resumes them
                raise KeyboardInterrupt from None
            raise
        print(f"rerun of {job}: {target}")
        written.append(target)
    if many and OmegaConf.select(plans[0][2], "report.enabled", default=True):
        write_report_safely(out, out / "report")  # the comparison report, as the multirun's
    return written


def rerun_of(run_dir: Path) -> str | dict[str, str]:
    """What the rerun's manifest records as its origin: the run's absolute path, or, when the
    run's manifest cannot be read, that path with a note that config.yaml alone was used.

    Called once the config was read: without config.yaml the manifest was read for it.
    """
    origin = str(Path(run_dir).resolve())
    try:
        storage.read_manifest(run_dir)
    except storage.RunDataError as exc:
        reason = " ".join(str(exc).split())
        _warn(f"could not read the manifest ({reason}); used {Path(run_dir) / CONFIG} instead")
        return {"run": origin, "note": UNREADABLE, "reason": reason}
    return origin


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {' '.join(message.split())}", file=sys.stderr)


@quiet_when_the_reader_leaves
def main(argv: list[str] | None = None) -> int:
    """Console entry point (`adagrad-lab-rerun`): exit 0, 2 on bad input, 130 on Ctrl-C."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a run directory or a multirun directory")
    parser.add_argument("overrides", nargs="*", help="key=value changes, e.g. sweep.seeds=10")
    parser.add_argument("--out", type=Path, default=None, help="where to write (a new directory)")
    add_recursive(parser)
    args = parser.parse_args(argv)
    register()
    overrides, out = [], args.out
    for item in args.overrides:
        if item.startswith("hydra.run.dir="):
            out = Path(item.partition("=")[2])
        else:
            overrides.append(item)
    if out is None:
        out = default_out()
    if not str(out).strip():
        return _error("--out: must name a directory")
    try:
        rerun(args.run_dir, out, overrides, args.recursive)
    except (ConfigError, rundir.RunDirError, storage.RunDataError) as exc:
        return _error(str(exc))
    except ResultsComplete as done:
        print(error_line(PROG, str(done)), file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print(
            f"adagrad-lab-rerun: error: interrupted; run the same command with --out {out} "
            "to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 0


def _error(message: str) -> int:
    print(error_line(PROG, message), file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
