"""The `adagrad-lab` command: Hydra composes the config, `run` does the work.

Bad values stop with one line on stderr naming the key, exit code 2, and no
files left behind.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from . import report
from .config import register
from .runner import RunDirError, RunResult, describe, run_plan
from .validate import ConfigError, Plan, make_plan

EXIT_BAD_INPUT = 2


def run(cfg: DictConfig, run_dir: Path, overrides: list[str] | None = None) -> RunResult | None:
    """Validate ``cfg``, run the sweep into ``run_dir`` and print what ``echo`` asks for.

    With ``run.dry_run=true`` only print the size of the sweep and return None.
    """
    plan = make_plan(cfg)
    if plan.dry_run:
        print(dry_run_text(plan))
        return None
    config = OmegaConf.to_container(cfg, resolve=True)
    result = run_plan(plan, run_dir, config, overrides)
    OmegaConf.save(OmegaConf.create(config), Path(run_dir) / "config.yaml")
    if plan.echo == "tutorial":
        print("\n".join(report.tutorial_lines(run_dir)))
    elif plan.echo == "summary":
        print(report.summary_text(run_dir))
    if plan.echo != "none":
        print(
            f"{result.n_trajectories} trajectories in {result.n_chunks} chunk(s), "
            f"{result.run_s:.2f} s (+{result.compile_s:.2f} s compile/load)\n"
            f"results: {run_dir}/trajectories/  {run_dir}/history/  {run_dir}/manifest.json"
        )
    return result


@hydra.main(version_base="1.3", config_path="pkg://adagrad_lab.conf", config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    try:
        if run(cfg, run_dir, list(hc.overrides.task)) is None:
            _remove_empty(run_dir)
    except (ConfigError, RunDirError) as exc:
        print(f"adagrad-lab: error: {exc}", file=sys.stderr)
        _remove_empty(run_dir)
        sys.exit(EXIT_BAD_INPUT)


def dry_run_text(plan: Plan) -> str:
    """What a dry run prints: the sweep's size and the estimated size of its output."""
    d = describe(plan)
    return (
        f"dry run: {d['trajectories']} trajectories in {d['chunks']} chunk(s) of up to "
        f"{d['chunk_size']}, {plan.n_iter} iterations each, {d['history_rows']} history rows, "
        f"about {d['estimated_bytes'] / 2**20:.1f} MiB before compression; nothing written"
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


def main() -> None:
    """Console entry point (`adagrad-lab`, `python -m adagrad_lab`)."""
    register()
    _hydra_main()
