"""The `adagrad-lab` command: Hydra composes the config, `run` does the work.

Bad values stop with one line on stderr naming the key, exit code 2, and no
files left behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException, MissingConfigException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from adagrad_lab.commands import help_text, report_process
from adagrad_lab.commands.exits import (
    EXIT_INTERRUPTED,
    fail,
    first_line,
    quiet_when_the_reader_leaves,
)
from adagrad_lab.report.words import count
from adagrad_lab.run.runner import RunResult, run_plan
from adagrad_lab.store.parquet import RunDataError
from adagrad_lab.store.rundir import RunDirError
from adagrad_lab.sweep.notices import identical_seeds
from adagrad_lab.sweep.plan import ConfigError, Plan
from adagrad_lab.sweep.schema import not_a_key, register
from adagrad_lab.sweep.sizes import describe
from adagrad_lab.sweep.validate import make_plan

if TYPE_CHECKING:
    from hydra.conf import HydraConf


def run(
    cfg: DictConfig,
    run_dir: Path,
    overrides: list[str] | None = None,
    provenance: dict[str, Any] | None = None,
    job_of_many: bool = False,
) -> RunResult | None:
    """Validate ``cfg``, run the sweep into ``run_dir`` and print what ``echo`` asks for.

    With ``run.dry_run=true`` only print the size of the sweep and return None;
    ``provenance`` (e.g. ``rerun_of``) goes into the manifest. ``job_of_many``: one
    job of a multirun, whose own report is written only with ``report.jobs=true`` (the
    multirun writes one comparison report when its last job is done).
    """
    plan = make_plan(cfg)
    if plan.execution.dry_run or not OmegaConf.select(cfg, "report.enabled", default=True):
        report_process.discard()
    if (identical := identical_seeds(plan)) is not None:
        print(f"adagrad-lab: warning: {identical}", file=sys.stderr)
    if plan.execution.dry_run:
        print(dry_run_text(plan))
        return None
    config = cast("dict[str, Any]", OmegaConf.to_container(cfg, resolve=True))
    result = run_plan(plan, run_dir, config, overrides, provenance)
    OmegaConf.save(OmegaConf.create(config), Path(run_dir) / "config.yaml")
    try:
        _finish(cfg, plan, run_dir, result, job_of_many)
    except KeyboardInterrupt:
        raise ResultsComplete(Path(run_dir)) from None
    return result


class ResultsComplete(KeyboardInterrupt):
    """Ctrl-C once every chunk and config.yaml were written: nothing is left to resume, only
    the report to write. A KeyboardInterrupt still, so that Hydra's callbacks let it pass."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(
            f"interrupted after the results were written; the results in {run_dir} are "
            f"complete: adagrad-lab-report {run_dir} writes the report"
        )
        self.run_dir = run_dir


def _finish(
    cfg: DictConfig, plan: Plan, run_dir: Path, result: RunResult, job_of_many: bool = False
) -> None:
    """What follows the written results: the echo ``plan`` asks for, then the report, both
    from the report process where there is one (pandas and matplotlib load only for what
    is printed or written, never for echo=none without a report)."""
    due = report_due(cfg, job_of_many)
    ahead = report_process.claim() if due else None
    try:
        if plan.output.echo != "none":
            print(_echo(run_dir, plan.output.echo, ahead))
            history = (
                f"{run_dir}/history/  " if len(plan.output.record_iters) else ""
            )  # none when final
            print(
                f"{count(result.n_trajectories, 'trajectory')} in "
                f"{count(result.n_chunks, 'chunk')}, "
                f"{result.run_s:.2f} s (+{result.compile_s:.2f} s compile/load)\n"
                f"results: {run_dir}/trajectories/  {history}{run_dir}/manifest.json"
            )
        if due:
            write_report_safely(run_dir, Path(run_dir) / "report", ahead)
    finally:
        if ahead is not None:
            ahead.stop()


def _echo(run_dir: Path, kind: str, ahead: report_process.ReportProcess | None) -> str:
    """The summary or the tutorial's lines, from the report process where it answers."""
    if ahead is not None:
        with contextlib.suppress(report_process.GoneError, report_process.ReportError):
            return ahead.echo(run_dir, kind)  # failed: raised again below, here
    from adagrad_lab.report.summary import echo_text

    return echo_text(run_dir, kind)


def report_due(cfg: DictConfig, job_of_many: bool = False) -> bool:
    """Whether a run writes its own report: ``report.enabled``, and for one job of a
    multirun also ``report.jobs`` (off by default: the sweep's comparison report is)."""
    if not OmegaConf.select(cfg, "report.enabled", default=True):
        return False
    return not job_of_many or bool(OmegaConf.select(cfg, "report.jobs", default=False))


def write_report_safely(
    source: Path, out_dir: Path, ahead: report_process.ReportProcess | None = None
) -> Path | None:
    """Write the report of ``source`` into ``out_dir`` and print its path; never raise.

    Written by ``ahead`` (or the command's prepared report process) where it answers,
    else here. The data are written already: a report that fails prints one warning
    line on stderr (report.enabled=false turns reports off) and returns None; Ctrl-C
    raises `ResultsComplete`.
    """
    ahead = ahead or report_process.claim()
    try:
        index = _write_report(source, out_dir, ahead)
    except KeyboardInterrupt:
        raise ResultsComplete(Path(source)) from None
    except report_process.ReportError as exc:
        _no_report(source, exc.kind, str(exc))
        return None
    except Exception as exc:  # the run's data stand whatever the figures do
        _no_report(source, type(exc).__name__, first_line(exc))
        return None
    finally:
        if ahead is not None:
            ahead.stop()
    print(f"report: {index}")
    return index


def _write_report(source: Path, out_dir: Path, ahead: report_process.ReportProcess | None) -> Path:
    if ahead is not None:
        with contextlib.suppress(report_process.GoneError):
            return ahead.report(source, out_dir)
    from adagrad_lab.report.page import write_report  # matplotlib: only when a report is due

    return write_report(source, out_dir)


def _no_report(source: Path, kind: str, first: str) -> None:
    print(
        f"adagrad-lab: warning: no report ({kind}: {first}); "
        f"the results are written; adagrad-lab-report {source} retries",
        file=sys.stderr,
    )


@hydra.main(version_base="1.3", config_path="pkg://adagrad_lab.conf", config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    try:
        _check_run_dir(hc)
        _warn_one_job_of_a_sweep(hc)
        # the overrides as typed: iterating them would resolve a ${logspace:...} unchecked
        overrides = cast("list[str]", OmegaConf.to_container(hc.overrides.task, resolve=False))
        multirun = hc.mode is not None and hc.mode.name == "MULTIRUN"
        if run(cfg, run_dir, overrides, job_of_many=multirun) is None:
            _remove_empty(run_dir)
    except (ConfigError, RunDirError, RunDataError) as exc:
        _remove_empty(run_dir)
        fail(str(exc))
    except ResultsComplete as done:
        fail(_in_multirun(str(done), hc), EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        _remove_empty(run_dir)
        fail(
            f"interrupted; finished chunks are kept in {run_dir}: run the same command "
            f"with hydra.run.dir={run_dir} to resume",
            EXIT_INTERRUPTED,
        )


def _in_multirun(message: str, hc: HydraConf) -> str:
    """``message``, and in a multirun how to run the jobs that have not run yet."""
    if hc.mode is None or hc.mode.name != "MULTIRUN":
        return message
    return (
        f"{message}; jobs not yet run: run the same command with "
        f"hydra.sweep.dir={hc.sweep.dir} to run them"
    )


def _warn_one_job_of_a_sweep(hc: HydraConf) -> None:
    """One warning line when the config sweeps ``hydra.sweeper.params`` but runs as one job
    (no -m, no ``hydra.mode: MULTIRUN``): only a multirun runs those jobs."""
    mode = hc.mode.name if hc.mode is not None else "RUN"
    params = dict(hc.sweeper.get("params") or {})
    if mode == "MULTIRUN" or not params:
        return
    print(
        f"adagrad-lab: warning: the config sweeps hydra.sweeper.params ({', '.join(params)}), "
        "which only a multirun runs: this is one job; add -m (or hydra.mode: MULTIRUN in the "
        "experiment's file) to run them all",
        file=sys.stderr,
    )


def _check_run_dir(hc: HydraConf) -> None:
    """Refuse an output directory that is empty or the working directory itself."""
    mode = hc.mode.name if hc.mode is not None else "RUN"
    key = "hydra.sweep.dir" if mode == "MULTIRUN" else "hydra.run.dir"
    chosen = hc.sweep.dir if mode == "MULTIRUN" else hc.run.dir
    if not str(chosen).strip() or Path(chosen).resolve() == Path.cwd().resolve():
        raise ConfigError(key, f"must name a directory for the results (got {chosen!r})")


def dry_run_text(plan: Plan) -> str:
    """What a dry run prints: the sweep's size and the estimated size of its output."""
    d = describe(plan)
    return (
        f"dry run: {d['trajectories']} trajectories in {d['chunks']} chunk(s) of up to "
        f"{d['chunk_size']}, {plan.sweep.n_iter} iterations each, "
        f"{d['history_rows']} history rows, "
        f"about {d['estimated_bytes'] / 2**20:.1f} MiB before compression, peak memory about "
        f"{d['peak_bytes'] / 2**20:.0f} MiB; nothing written"
    )


def _remove_empty(folder: Path) -> None:
    """Remove the output folder Hydra made for this run, and its parents, while they are empty."""
    stop = Path.cwd().resolve()
    folder = folder.resolve()
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


@quiet_when_the_reader_leaves
def main() -> None:
    """Console entry point (`adagrad-lab`, `python -m adagrad_lab`).

    Hydra's own errors (an unknown option, a value of the wrong type) become
    one line and exit code 2, like ours; HYDRA_FULL_ERROR=1 keeps its traces.
    """
    if "report.enabled=false" not in sys.argv[1:]:
        report_process.prepare()  # loads the report's libraries while the run computes
    register()
    help_text.register()  # ${options:GROUP} in the help template
    try:
        _main()
    finally:
        report_process.discard()


def _main() -> None:
    if os.environ.get("HYDRA_FULL_ERROR"):
        _hydra_main()
        return
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises instead of printing several lines
    try:
        _hydra_main()
    except ResultsComplete as done:  # in a multirun's own report, after every job
        fail(str(done), EXIT_INTERRUPTED)
    except HydraException as exc:
        fail(hydra_error_line(exc))
    except OmegaConfBaseException as exc:
        fail(hydra_error_line(exc))
    finally:
        os.environ.pop("HYDRA_FULL_ERROR", None)


def hydra_error_line(exc: BaseException) -> str:
    """One line for an error Hydra or OmegaConf raised: the key, then what is wrong."""
    if isinstance(exc, MissingConfigException) and exc.options is not None:
        group = (exc.missing_cfg_file or "").rpartition("/")[0]
        asked = (exc.missing_cfg_file or "").rpartition("/")[2]
        options = [o for o in exc.options if not o.startswith("base_")]
        return f"{group}: no option {asked!r}; one of {', '.join(options)}"
    cause = exc.__cause__ if isinstance(exc.__cause__, OmegaConfBaseException) else exc
    key = getattr(cause, "full_key", None)
    text = str(cause).strip().splitlines()
    first = text[0] if text else type(cause).__name__
    if key and "not in" in first and "Key" in first:
        schema = getattr(cause, "object_type", None)
        if isinstance(schema, type) and dataclasses.is_dataclass(schema):
            names = [f.name for f in dataclasses.fields(schema) if f.name != "name"]
            return f"{key}: {not_a_key(key, names)}"
        return f"{key}: not a config key (see adagrad-lab --help for the keys)"
    return f"{key}: {first}" if key else first
