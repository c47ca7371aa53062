"""Hydra callbacks, registered under ``hydra.callbacks`` in conf/config.yaml."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

MULTIRUN_YAML = "multirun.yaml"  # what Hydra's launchers write into the sweep directory


class DryRunCleanup(Callback):
    """A multirun with ``run.dry_run=true`` leaves nothing behind.

    Each job prints its size and writes nothing, but Hydra has already made the
    sweep directory, one folder per job and ``multirun.yaml``. When all jobs
    have returned, remove that file, the empty folders under the sweep
    directory, the sweep directory if it is then empty, and its parents while
    they are empty, up to (not including) the working directory. Folders
    holding anything else are kept. A sweep over ``run.dry_run`` itself
    (``run.dry_run=true,false``) is not a dry run and is left alone.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if OmegaConf.select(config, "run.dry_run", default=False) is not True:
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        if not sweep_dir.is_dir():
            return
        (sweep_dir / MULTIRUN_YAML).unlink(missing_ok=True)
        for folder, _, _ in os.walk(sweep_dir, topdown=False):
            _rmdir(Path(folder))
        stop = Path.cwd().resolve()
        parent = sweep_dir.resolve().parent
        while not sweep_dir.exists() and parent != stop and stop in parent.parents:
            if not _rmdir(parent):
                break
            parent = parent.parent


def _rmdir(folder: Path) -> bool:
    """Remove ``folder`` if it is empty; whether it was removed."""
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


class MultirunReport(Callback):
    """A multirun writes one comparison report into SWEEP_DIR/report/ when all jobs returned.

    Not for a dry run, nor with ``report.enabled=false``. A report that fails
    prints one warning line; the jobs' data stand (`cli.write_report_safely`).
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if OmegaConf.select(config, "run.dry_run", default=False) is True:
            return
        if OmegaConf.select(config, "report.enabled", default=True) is not True:
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        if not any(sweep_dir.glob("*/manifest.json")):
            return  # no job wrote results (all failed, or a dry run swept)
        from adagrad_lab.commands.run import write_report_safely

        write_report_safely(sweep_dir, sweep_dir / "report")
