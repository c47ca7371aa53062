"""What a user sees: progress while the kernel runs, --help, the summary, run directories,
ignored outputs, and a multirun dry run that leaves nothing behind."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FAST, run_cli
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf
from tqdm import tqdm

from adagrad_lab.commands.callbacks import DryRunCleanup
from adagrad_lab.commands.run import run
from adagrad_lab.kernel.driver import HP_EPS, HP_STEP_SIZE, N_HP, RULE_GD, advance, n_blocks
from adagrad_lab.report.summary import summary_text
from adagrad_lab.run import runner
from adagrad_lab.run.progress import watch
from adagrad_lab.sweep.schema import register
from adagrad_lab.sweep.validate import make_plan

REPO = Path(__file__).parents[1]
CONF = REPO / "conf"
TAG_DIR = re.compile(r"\d{2}-\d{2}-\d{2}-[0-9a-f]{6}")

# --- progress from inside the kernel ---------------------------------------------------------


def _fill_slowly(progress: np.ndarray, counts: list[int], pause: float) -> threading.Thread:
    """A stand-in for the kernel: one block finishes every ``pause`` seconds."""

    def fill():
        for i, c in enumerate(counts):
            time.sleep(pause)
            progress[i] = c

    thread = threading.Thread(target=fill)
    thread.start()
    return thread


def test_watcher_reports_running_totals_then_the_final_count():
    counts = [64, 64, 64, 64, 10]
    progress = np.zeros(len(counts), np.int64)
    seen: list[int] = []
    with watch(progress, seen.append, interval=0.005):
        _fill_slowly(progress, counts, pause=0.05).join()
    assert seen[-1] == sum(counts)
    assert any(0 < total < sum(counts) for total in seen), seen  # moved while running
    assert seen == sorted(set(seen))  # only increases, each total reported once


def test_watcher_advances_a_bar_from_where_it_stood():
    progress = np.zeros(3, np.int64)
    bar = tqdm(total=200, initial=50, file=io.StringIO(), disable=False)
    with bar, watch(progress, bar, interval=0.005):
        _fill_slowly(progress, [40, 40, 20], pause=0.03).join()
        time.sleep(0.05)
        assert bar.n == 150  # the thread moved it, before the block ended
    assert bar.n == 150


def test_watcher_of_a_disabled_bar_starts_no_thread():
    progress = np.array([5, 7], np.int64)
    before = threading.active_count()
    with watch(progress, tqdm(total=12, disable=True)) as watcher:
        assert threading.active_count() == before
    assert watcher.total == 12


def _small_problem(n: int, d: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    hp = np.zeros((N_HP, n))
    hp[HP_STEP_SIZE] = 0.1
    hp[HP_EPS] = 1e-8
    return rng.uniform(-1, 1, (n, d)), hp


def test_kernel_counts_each_block_in_its_own_slot_and_results_do_not_change():
    x0, hp = _small_problem(21)
    progress = np.zeros(n_blocks(21, 8), np.int64)
    kwargs = {"rule": RULE_GD, "n_iter": 30, "rec_iters": np.arange(31), "block": 8}
    plain = advance(x0, hp, **kwargs)
    counted = advance(x0, hp, **kwargs, progress=progress)
    assert progress.tolist() == [8, 8, 5]
    for key, value in plain.items():
        assert value.tobytes() == counted[key].tobytes(), key


def test_kernel_refuses_a_progress_array_too_short_to_write():
    x0, hp = _small_problem(21)
    with pytest.raises(ValueError, match="3 slots"):
        advance(x0, hp, rule=RULE_GD, n_iter=3, block=8, progress=np.zeros(2, np.int64))


def test_a_long_single_chunk_reports_while_the_kernel_runs(make_cfg):
    """The kernel releases the GIL: the watcher's thread sees blocks finish one by one."""
    cfg = make_cfg(
        [
            "objective=rosenbrock",
            "sweep.seeds=40",
            "sweep.n_iter=300000",  # about 0.1 s
            "optimizer.step_size=[1e-3]",
            "record.schedule=final",
        ]
    )
    plan = make_plan(cfg)
    grid = runner.make_grid(plan)
    runner.compile_kernel(plan, grid)
    progress = np.zeros(n_blocks(40, 4), np.int64)
    seen: list[int] = []
    with watch(progress, seen.append, interval=0.002):
        runner.run_trajectories(plan, grid, 0, 40, 4, progress=progress)
    assert seen[-1] == 40
    assert len(seen) > 1, seen


def test_run_plan_moves_the_bar_with_a_watcher_per_chunk(make_cfg, tmp_path, monkeypatch):
    totals: list[int] = []

    class Spy:
        def __init__(self, progress, report):
            self.inner = watch(progress, report)

        def __enter__(self):
            return self.inner.__enter__()

        def __exit__(self, *exc):
            self.inner.__exit__(*exc)
            totals.append(self.inner.total)

    monkeypatch.setattr(runner, "watch", Spy)
    run(make_cfg([*FAST, "sweep.seeds=5", "run.chunk_size=4"]), tmp_path)
    assert totals == [4, 4, 2]  # 10 trajectories in chunks of 4, each counted by the kernel


# --- help ------------------------------------------------------------------------------------


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def test_help_is_the_apps_own_page(tmp_path):
    done = run_cli(["--help"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "powered by Hydra" not in text
    assert text.startswith("adagrad-lab: ")
    for group in ("objective", "optimizer", "start", "sweep", "record", "run"):
        assert re.search(rf"^ +{group} ", text, re.M), group
        for option in _options(group):
            assert re.search(rf"\b{option}\b", text), f"{group}={option} is not in the help"
    assert "experiment " in text and "tutorial" in text
    for key in (
        "sweep.seeds",
        "sweep.n_iter",
        "sweep.target",
        "optimizer.step_size",
        "${logspace:",
        "record.schedule",
        "run.threads",
        "run.chunk_size",
        "run.dry_run",
        "hydra.run.dir",
        "adagrad-lab experiment=tutorial",
        "adagrad-lab -m ",
        "adagrad-lab-verify RUN_DIR",
        "adagrad-lab-rerun RUN_DIR",
    ):
        assert key in text, key
    assert list(tmp_path.iterdir()) == []
    hydras = run_cli(["--hydra-help"], cwd=tmp_path)
    assert hydras.returncode == 0 and "Hydra (" in hydras.stdout


# --- summary ---------------------------------------------------------------------------------


def test_summary_says_what_it_summarizes_with_percentages(make_cfg, tmp_path):
    run(make_cfg([*FAST, "objective=booth", "sweep.target=1e-2", "sweep.n_iter=50"]), tmp_path)
    lines = summary_text(tmp_path).splitlines()
    assert lines[0] == "booth (dim 2), AdaGrad: 3 seeds, 50 iterations, 6 trajectories"
    assert re.search(r"\d+\.\d%", lines[-1]), lines
    assert "converged" in lines[1] and "diverged" in lines[1]


def test_summary_of_one_trajectory_is_singular(make_cfg, tmp_path):
    cfg = make_cfg([*FAST, "sweep.seeds=1", "sweep.n_iter=1", "optimizer.step_size=0.1"])
    run(cfg, tmp_path)
    head = summary_text(tmp_path).splitlines()[0]
    assert head == "ellipsoid (dim 2), AdaGrad: 1 seed, 1 iteration, 1 trajectory"


@pytest.mark.parametrize(("schedule", "listed"), [("final", False), ("every", True)])
def test_results_line_lists_history_only_when_there_is_one(
    make_cfg, tmp_path, capsys, schedule, listed
):
    cfg = make_cfg([*FAST, "echo=summary", f"record.schedule={schedule}"])
    run(cfg, tmp_path)
    results = [line for line in capsys.readouterr().out.splitlines() if line.startswith("results")]
    assert results == [
        f"results: {tmp_path}/trajectories/  "
        + (f"{tmp_path}/history/  " if listed else "")
        + f"{tmp_path}/manifest.json"
    ]
    assert (tmp_path / "history").exists() == listed


# --- unique run directories ------------------------------------------------------------------


def _run_dir(overrides=()) -> str:
    register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="adagrad_lab.conf", version_base="1.3"):
            cfg = compose("config", overrides=list(overrides), return_hydra_config=True)
        first, again = str(cfg.hydra.run.dir), str(cfg.hydra.run.dir)
        assert first == again  # resolved once per config: stable
        assert str(cfg.hydra.sweep.dir).endswith(first.rpartition("/")[2])
        return first
    finally:
        GlobalHydra.instance().clear()


def test_default_run_dirs_carry_a_tag_stable_within_a_config():
    a, b = _run_dir(), _run_dir()
    assert TAG_DIR.fullmatch(Path(a).name), a
    assert a != b  # another config (another run) draws another tag, even in the same second


def test_two_runs_started_in_the_same_second_get_their_own_directories(tmp_path):
    args = [sys.executable, "-m", "adagrad_lab", *FAST, "objective=booth"]
    procs = [
        subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
    dirs = sorted(tmp_path.glob("outputs/*/*"))
    assert len(dirs) == 2, dirs
    assert all(TAG_DIR.fullmatch(d.name) and (d / "manifest.json").exists() for d in dirs)


def test_multirun_jobs_share_one_tagged_sweep_dir(tmp_path):
    done = run_cli(["-m", *FAST, "objective=sphere,booth"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sweeps = list(tmp_path.glob("outputs/multirun/*/*"))
    assert len(sweeps) == 1 and TAG_DIR.fullmatch(sweeps[0].name), sweeps
    assert sorted(p.name for p in sweeps[0].iterdir()) == ["0", "1", "multirun.yaml"]


# --- ignored outputs -------------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("git") is None or not (REPO / ".git").exists(), reason="needs the git checkout"
)
@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("outputs/2026-01-01/12-00-00-abcdef/manifest.json", True),
        ("outputs/multirun/2026-01-01/12-00-00-abcdef/0/config.yaml", True),
        ("examples/outputs/2026-01-01/12-00-00-abcdef/manifest.json", True),
        ("docs/some/where/outputs/x.parquet", True),
        ("outputs/.gitkeep", False),
        ("examples/my_objective.py", False),
    ],
)
def test_outputs_are_ignored_wherever_a_run_starts(path, ignored):
    done = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", path], cwd=REPO, capture_output=True
    )
    assert done.returncode == (0 if ignored else 1), done.stderr


# --- a multirun dry run writes nothing -------------------------------------------------------


def test_multirun_dry_run_leaves_no_sweep_dir(tmp_path):
    work, sweep = tmp_path / "work", tmp_path / "elsewhere" / "x"
    work.mkdir()
    args = ["-m", "objective=sphere,booth", "run.dry_run=true", f"hydra.sweep.dir={sweep}"]
    done = run_cli(args, cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("nothing written") == 2
    assert not sweep.exists()  # multirun.yaml and the job folders are gone
    assert list(work.iterdir()) == []
    default = run_cli(["-m", "objective=sphere,booth", "run.dry_run=true"], cwd=work)
    assert default.returncode == 0, default.stderr
    assert list(work.iterdir()) == []  # outputs/multirun/DATE/TIME-TAG removed up to cwd


def test_dry_run_cleanup_keeps_anything_else(tmp_path):
    sweep = tmp_path / "sweep"
    (sweep / "0").mkdir(parents=True)
    (sweep / "1").mkdir()
    (sweep / "1" / "notes.txt").write_text("mine")
    (sweep / "multirun.yaml").write_text("{}")
    real = OmegaConf.create({"run": {"dry_run": False}, "hydra": {"sweep": {"dir": str(sweep)}}})
    DryRunCleanup().on_multirun_end(real)
    assert (sweep / "multirun.yaml").exists()  # not a dry run: untouched
    dry = OmegaConf.merge(real, {"run": {"dry_run": True}})
    DryRunCleanup().on_multirun_end(dry)
    assert sorted(p.name for p in sweep.rglob("*")) == ["1", "notes.txt"]
