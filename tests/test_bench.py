"""The benchmark command: it runs end to end on tiny sizes, and what it computes is right.

Timings are never asserted (the design forbids timed tests). The numbers the
benchmark derives from them (medians, speedups, updates per second, relative
errors) are checked on fixed inputs against values computed by hand here,
the NumPy baseline against the plain-Python loop of `naive`, the printed
tables against literal text; never against the code under test.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import naive
import numpy as np
import pytest

from adagrad_lab.bench import (
    agree,
    baselines,
    c_peer,
    command,
    end_to_end,
    measure,
    numpy_rules,
    overview,
    plans,
    report_time,
    startup,
    workloads,
)
from adagrad_lab.catalog import OPTIMIZERS
from adagrad_lab.run.provenance import cpu_model
from adagrad_lab.run.runner import make_grid, run_trajectories
from adagrad_lab.sweep.grid import default_block

MAIN_COLUMNS = (
    "workload", "objective", "d", "N", "T", "history", "warm-up s", "kernel s", "numpy s",
    "speedup", "kernel upd/s", "numpy upd/s", "peak RSS MiB", "agree", "bitwise",
)  # fmt: skip
ERROR_COLUMNS = ("f rel err med", "f rel err max", "f_final rel err med", "f_final rel err max")


def parse_table(text: str, first: str) -> tuple[tuple[str, ...], dict[str, dict[str, str]]]:
    """The printed table whose header starts with ``first``: (header, {row: {col: cell}}).

    Columns are cut where the dashes under the header are, so cells may hold spaces.
    """
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [first])
    rule = lines[start + 1]
    spans = [m.span() for m in re.finditer(r"-+", rule)]

    def cells(line: str) -> tuple[str, ...]:
        return tuple(line[a:b].strip() for a, b in spans)

    header, rows = cells(lines[start]), {}
    for line in lines[start + 2 :]:
        if len(line) != len(rule):
            break
        row = dict(zip(header, cells(line), strict=True))
        rows[row[first]] = row
    return header, rows


def table_rows(text: str) -> tuple[tuple[str, ...], dict[str, dict[str, str]]]:
    return parse_table(text, "workload")


def test_main_prints_table_and_agreement(capsys):
    code = command.main(["--workloads", "W1,W3", "--scale", "0.001", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "MEDIANS" in out
    # AdaGrad alone (the default --optimizers): the header and table of old, no optimizer column
    assert out.startswith("adagrad-lab benchmark: AdaGrad, Numba kernel vs NumPy, timed alt")
    assert "optimizers:" not in out
    header, rows = table_rows(out)
    assert header == MAIN_COLUMNS  # no error columns in the default mode
    assert "kernel mode (W1-W4): default (float64); outputs must equal NumPy's bit" in out
    assert "fast mode" not in out
    assert list(rows) == ["W1", "W3"]
    for row in rows.values():
        assert row["N"] == "131"  # round(131072 * 0.001)
        assert (row["d"], row["T"]) == ("2", "1000")
        assert row["agree"] == "yes"
        assert row["bitwise"] == "yes"
        assert float(row["kernel s"]) > 0 and float(row["numpy s"]) > 0
        assert row["speedup"].endswith("x")
        assert float(row["peak RSS MiB"]) > 0
    # f only by default (workloads W1, W2, W4 record f every iteration, no gradient norm)
    assert rows["W1"]["history"] == "f:1001" and rows["W3"]["history"] == "-"
    assert "outputs agree" in out
    assert "peers" not in out


def test_scale_keeps_at_least_64_trajectories(capsys):
    assert command.main(["--workloads", "W2", "--scale", "0.0001", "--repeats", "1"]) == 0
    row = table_rows(capsys.readouterr().out)[1]["W2"]
    assert (row["N"], row["d"]) == ("64", "100")  # 4096 * 0.0001 rounds to 0: 64 kept


def test_grad_norm_flag_records_it_in_both(capsys):
    argv = ["--workloads", "W4", "--scale", "0.0001", "--repeats", "1", "--grad-norm"]
    assert command.main(argv) == 0
    row = table_rows(capsys.readouterr().out)[1]["W4"]
    assert row["history"] == "f+gn:1001"
    assert row["agree"] == "yes" and row["bitwise"] == "yes"


# ---------------------------------------------------------------- the NumPy baseline


def same_bits(a, b) -> bool:
    return naive.bits(np.ravel(a)) == naive.bits(np.ravel(b))


def check_against_naive(w: workloads.Workload, inputs: workloads.Inputs, out: dict) -> None:
    """Every trajectory of ``out`` equals the plain-Python loop, bit for bit."""
    for j in range(inputs.x0.shape[0]):
        traj = naive.naive_run(
            w.objective, inputs.x0[j], w.step_size, 1e-8, 0.0, "adagrad", w.n_iter, inputs.params
        )
        assert len(traj) == w.n_iter + 1  # nothing diverged
        f, _, x = traj[-1]
        assert same_bits(out["x_final"][j], x) and same_bits(out["f_final"][j], [f])
        if w.history:
            assert same_bits(out["h_f"][j], [t[0] for t in traj])
            assert same_bits(out["h_gn"][j], [t[1] for t in traj] if w.grad_norm else [])


@pytest.mark.parametrize(
    ("objective", "dim"), [("sphere", 3), ("ellipsoid", 5), ("rosenbrock", 2), ("rosenbrock", 4)]
)
@pytest.mark.parametrize(("history", "grad_norm"), [(True, False), (True, True), (False, False)])
def test_numpy_baseline_equals_the_plain_python_loop(objective, dim, history, grad_norm):
    w = workloads.Workload("T", objective, dim, 6, 12, history, 0.01, grad_norm=grad_norm)
    inputs = measure.make_inputs(w, w.n)
    # the inputs are what the workload says: its step size, eps 1e-8, accumulator 0
    assert inputs.step_size.tolist() == [0.01] * 6 and inputs.eps.tolist() == [1e-8] * 6
    assert inputs.initial_accumulator.tolist() == [0.0] * 6
    out = baselines.run_numpy(w, inputs)
    assert out["h_f"].shape == (6, 13 if history else 0)
    assert out["h_gn"].shape == (6, 13 if history and grad_norm else 0)
    check_against_naive(w, inputs, out)


def test_history_spans_several_buffer_flushes():
    n_iter = 2 * baselines.BUFFER_ROWS + 5  # two full flushes and a partial one
    w = replace(workloads.WORKLOADS["W4"], n=4, n_iter=n_iter, grad_norm=True)
    inputs = measure.make_inputs(w, w.n)
    check_against_naive(w, inputs, baselines.run_numpy(w, inputs))


@pytest.mark.parametrize(
    ("objective", "dim"), [("sphere", 3), ("ellipsoid", 5), ("rosenbrock", 2), ("rosenbrock", 4)]
)
@pytest.mark.parametrize(("history", "grad_norm"), [(True, False), (True, True), (False, False)])
def test_numpy_baseline_matches_kernel_bit_for_bit(objective, dim, history, grad_norm):
    # the benchmark's claim: kernel and baseline give the same bits (on more trajectories than
    # one kernel block, so several blocks and a partial one are compared)
    w = workloads.Workload("T", objective, dim, 70, 25, history, 0.01, grad_norm=grad_norm)
    inputs = measure.make_inputs(w, w.n)
    ko, no = measure.run_kernel(w, inputs), baselines.run_numpy(w, inputs)
    assert ko["h_gn"].shape[1] == (26 if grad_norm and history else 0)
    for key in ("x_final", "f_final", "h_f", "h_gn"):
        assert no[key].shape == ko[key].shape, key
        assert np.array_equal(no[key], ko[key]), key


def test_plan_runs_as_the_runner_runs_it():
    """The bench's kernel calls for a plan (its chunks, block and settings) give what
    `runner.run_trajectories` gives for the whole shard, bit for bit."""
    text = (
        "objective=ellipsoid objective.dim=3 sweep.seeds=7 sweep.n_iter=40 "
        "optimizer.step_size=[0.01,0.1] optimizer.eps=[1e-8,1e-6] record.schedule=log "
        "record.points=true record.grad_norm=true sweep.target=0.5 sweep.stop_at_target=true "
        "run.chunk_size=9"
    )
    w = plans.plan_workload("O1", text.split())
    w, _ = measure.warm_up(w)
    inputs = measure.make_inputs(w, w.n)
    assert w.n == 28 and w.block == default_block(3)
    assert len(list(measure.kernel_chunks(w, inputs))) == 4  # 9 + 9 + 9 + 1
    got = measure.run_kernel(w, inputs)
    part, ref = run_trajectories(w.plan, make_grid(w.plan), 0, 28, w.block)
    assert np.array_equal(inputs.x0, part["x0"]) and np.array_equal(inputs.hp, part["hp"])
    assert got.keys() == ref.keys()
    # history past a trajectory's last iteration is undefined: compared up to it
    kept = w.plan.output.record_iters[None, :] <= ref["last_iter"][:, None]
    for key in ref:
        recorded = key.startswith("h_") and ref[key].size  # h_e: only a learning problem's
        a, b = (got[key][kept], ref[key][kept]) if recorded else (got[key], ref[key])
        assert np.array_equal(a, b, equal_nan=True), key
    assert ref["h_x"].shape == (28, 16, 3) and ref["h_gn"].shape == (28, 16)
    assert 0 < (ref["hit_at"] >= 0).sum() < 28  # the stop at the target was exercised


# ---------------------------------------------------------------- the optimizer axis

# stable step sizes for the tiny workloads below (the built-in workloads' own for their objective)
TINY_STEPS = {
    "sphere": workloads.WORKLOADS["W1"].stable_steps,
    "ellipsoid": workloads.WORKLOADS["W2"].stable_steps,
    "rosenbrock": workloads.WORKLOADS["W4"].stable_steps,
}
# A rule's baseline is the same code on every objective, checked on a fused objective and
# an unfused one in two dimensions; the ellipsoid's baseline (W2) with the tutorial's rules.
# Each (rule, objective) pair is a kernel variant to compile: the product is not needed.
TINY_CASES = [("sphere", 3), ("rosenbrock", 2), ("rosenbrock", 4)]
ELLIPSOID_RULES = ["adagrad", "gd"]


def tiny(optimizer: str, objective: str, dim: int, history: bool = True) -> workloads.Workload:
    """70 trajectories (two kernel blocks, one partial), 25 steps, f and the gradient norm."""
    return workloads.Workload(
        "T", objective, dim, 70, 25, history, 0.01, grad_norm=history, optimizer=optimizer,
        stable_steps=TINY_STEPS[objective],
    )  # fmt: skip


def test_every_rule_has_a_numpy_baseline():
    assert set(numpy_rules.RULES) == set(OPTIMIZERS) == set(workloads.OPTIMIZER_NAMES)
    inexact = {name for name in OPTIMIZERS if numpy_rules.bound(name) is not None}
    assert inexact == {"adagrad_full"}


BITWISE_RULES = [name for name in OPTIMIZERS if name != "adagrad_full"]


@pytest.mark.parametrize(
    ("optimizer", "objective", "dim"),
    [*((o, *case) for o in BITWISE_RULES for case in TINY_CASES)]
    + [(o, "ellipsoid", 5) for o in ELLIPSOID_RULES],
)
def test_rule_baseline_matches_kernel_bit_for_bit(optimizer, objective, dim):
    w = tiny(optimizer, objective, dim)
    inputs = measure.make_inputs(w, w.n)
    ko, no = measure.run_kernel(w, inputs), baselines.run_numpy(w, inputs)
    assert (ko["died_at"] == -1).all()  # nothing diverged: every step was compared
    for key in ("x_final", "f_final", "h_f", "h_gn"):
        assert no[key].shape == ko[key].shape, key
        assert np.array_equal(no[key], ko[key]), key
    assert measure.check_agreement(w, inputs) == agree.Agreement(True, True)


@pytest.mark.parametrize("optimizer", ["gd", "adam", "adagrad_norm"])
def test_rule_baseline_without_history(optimizer):
    w = tiny(optimizer, "rosenbrock", 3, history=False)
    inputs = measure.make_inputs(w, w.n)
    ko, no = measure.run_kernel(w, inputs), baselines.run_numpy(w, inputs)
    assert no["h_f"].shape == (70, 0)
    assert np.array_equal(no["x_final"], ko["x_final"])
    assert np.array_equal(no["f_final"], ko["f_final"])


@pytest.mark.parametrize("case", ["W1", "rosenbrock"])
def test_full_matrix_baseline_within_its_bound(case):
    # eigh against the kernel's Jacobi: not bitwise, within the bound on the final points.
    # On the sphere G keeps rank 1 and the paths part mid-run (see numpy_rules.AdagradFull):
    # it is checked as W1 runs it, to the end (1000 steps), where both have converged
    w = tiny("adagrad_full", "rosenbrock", 2)
    if case == "W1":
        w = replace(workloads.WORKLOADS["W1"], n=70, optimizer="adagrad_full", grad_norm=True)
    inputs = measure.make_inputs(w, w.n)
    ko, no = measure.run_kernel(w, inputs), baselines.run_numpy(w, inputs)
    err = agree.x_error(ko, no, inputs.x0)
    assert 0 <= err < numpy_rules.bound("adagrad_full") == 1e-6
    a = measure.check_agreement(w, inputs)
    assert a.close and a.x_err == err


def test_non_default_hyperparameters_still_bit_for_bit():
    """Branches the defaults skip (nesterov, amsgrad, centered, momentum, l1, decays)."""
    cases = {
        "momentum": {"nesterov": 1.0, "weight_decay": 0.01},
        "adam": {"amsgrad": 1.0, "weight_decay": 0.01, "beta1": 0.6},
        "rmsprop": {"centered": 1.0, "momentum": 0.5, "weight_decay": 0.01},
        "adagrad_prox": {"l1": 0.01, "l2": 0.1},
        "adagrad_rda": {"l1": 0.01},
        "adagrad_torch": {"lr_decay": 0.05, "weight_decay": 0.01},
        "adagrad_keras": {"weight_decay": 0.01},
        "adagrad_optax": {"initial_accumulator": 0.0},
    }
    for optimizer, values in cases.items():
        w = tiny(optimizer, "rosenbrock", 3)
        inputs = measure.make_inputs(w, w.n)
        for name, value in values.items():
            inputs.row(name)[:] = value
        ko, no = measure.run_kernel(w, inputs), baselines.run_numpy(w, inputs)
        for key in ("x_final", "f_final", "h_f", "h_gn"):
            assert np.array_equal(no[key], ko[key]), (optimizer, key)


def test_mixed_branches_are_refused_by_the_baseline():
    w = tiny("momentum", "sphere", 2)
    inputs = measure.make_inputs(w, w.n)
    inputs.row("nesterov")[:2] = 1.0
    with pytest.raises(ValueError, match="nesterov"):
        baselines.run_numpy(w, inputs)


def test_builtin_inputs_come_from_the_registry_record():
    # rows by name in the record's order; defaults but the step size
    w = replace(workloads.WORKLOADS["W2"], optimizer="adam")
    inputs = measure.make_inputs(w, 5)
    names = OPTIMIZERS["adam"].names
    assert inputs.names == names
    expected = {h.name: float(h.default) for h in OPTIMIZERS["adam"].hyperparameters}
    expected["step_size"] = 0.1  # W2's own: adam is adaptive
    for i, name in enumerate(names):
        assert inputs.hp[i].tolist() == [expected[name]] * 5, name
    assert not inputs.hp[len(names) :].any()
    # gd and momentum: the workload's stable step size (W2: below 1e-6)
    for optimizer, step in (("gd", 1e-7), ("momentum", 1e-8)):
        got = measure.make_inputs(replace(w, optimizer=optimizer), 3)
        assert got.step_size.tolist() == [step] * 3
    assert measure.make_inputs(replace(w, optimizer="momentum"), 3).row("momentum")[0] == 0.9
    # AdaGrad as always: eps 1e-8, accumulator 0
    plain = measure.make_inputs(workloads.WORKLOADS["W1"], 2)
    assert plain.hp[:3].tolist() == [[0.1, 0.1], [1e-8, 1e-8], [0.0, 0.0]]
    with pytest.raises(KeyError, match="beta1"):
        plain.row("beta1")


def test_optimizer_list_parses():
    assert command.optimizer_list("adagrad") == ["adagrad"]
    assert command.optimizer_list(" gd, adam ,gd") == ["gd", "adam"]
    assert command.optimizer_list("all") == list(OPTIMIZERS)
    for bad in ("nope", "adagrad,nope", "", ","):
        with pytest.raises(ValueError, match="unknown optimizer"):
            command.optimizer_list(bad)


@pytest.mark.parametrize("text", ["adagrad,sgd", ""])
def test_unknown_optimizer_is_refused_in_one_line(text, capsys):
    assert command.main(["--workloads", "W1", "--optimizers", text]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing ran
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("adagrad-lab-bench: error: --optimizers: unknown optimizer")
    assert "allowed: adagrad, adagrad_full, " in lines[0] and lines[0].endswith(", all")


def all_rows(text: str) -> tuple[tuple[str, ...], dict[tuple[str, str], dict[str, str]]]:
    """The main table's rows keyed by (workload, optimizer)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == ["workload"])
    spans = [m.span() for m in re.finditer(r"-+", lines[start + 1])]
    header = tuple(lines[start][a:b].strip() for a, b in spans)
    rows = {}
    for line in lines[start + 2 :]:
        if len(line) != len(lines[start + 1]):
            break
        row = dict(zip(header, (line[a:b].strip() for a, b in spans), strict=True))
        rows[row["workload"], row["optimizer"]] = row
    return header, rows


def test_optimizer_axis_runs_each_rule_on_each_workload(capsys):
    argv = ["--workloads", "W1,W2", "--optimizers", "gd,adagrad_full,adam", "--scale", "0.0001"]
    assert command.main([*argv, "--repeats", "1", "--peers"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("adagrad-lab benchmark: gd, adagrad_full, adam; Numba kernel vs NumPy")
    header, rows = all_rows(out)
    assert header == (MAIN_COLUMNS[0], "optimizer", *MAIN_COLUMNS[1:])
    # adagrad_full only where d <= 32: W2 (d=100) is skipped, with a note
    assert list(rows) == [
        ("W1", "gd"), ("W1", "adagrad_full"), ("W1", "adam"), ("W2", "gd"), ("W2", "adam"),
    ]  # fmt: skip
    assert "adagrad_full: skipped on W2 (d=100 > its limit 32)" in out
    for key, row in rows.items():
        assert row["agree"] == "yes", key
        assert float(row["numpy s"]) > 0 and row["speedup"].endswith("x")
    assert rows["W1", "gd"]["bitwise"] == rows["W2", "adam"]["bitwise"] == "yes"
    assert re.fullmatch(r"no \(x err \d\.\de-\d\d\)", rows["W1", "adagrad_full"]["bitwise"])
    assert (
        "adagrad_full: not bitwise: NumPy takes the eigendecomposition from np.linalg.eigh" in out
    )
    assert "W1 gd 0.1, momentum 0.01; W2 gd 1e-07, momentum 1e-08" in out
    assert "--peers: AdaGrad only" in out
    assert "diverged" not in out and "outputs agree" in out


def test_optimizer_axis_keeps_adagrad_rows_and_peers(capsys):
    argv = ["--workloads", "W3", "--optimizers", "adagrad,momentum", "--scale", "0.0001"]
    assert command.main([*argv, "--repeats", "1"]) == 0
    rows = all_rows(capsys.readouterr().out)[1]
    assert list(rows) == [("W3", "adagrad"), ("W3", "momentum")]
    w = replace(workloads.WORKLOADS["W4"], n=64, n_iter=5, optimizer="adam")
    r = measure.bench_workload(w, 1.0, 1, [FakePeer("same")])
    assert r.peers == ()  # the peers run AdaGrad only
    assert baselines.eligible(w) == "peers run AdaGrad only"


def test_diverged_trajectories_are_reported(capsys):
    # gd at step 0.01 on Rosenbrock from [-2, 2]^2 diverges; the kernel stops those lanes
    w = replace(
        workloads.WORKLOADS["W4"], n=64, n_iter=50, step_size=0.01, optimizer="gd", stable_steps=()
    )
    inputs = measure.make_inputs(w, w.n)
    with np.errstate(all="ignore"):
        a = measure.check_agreement(w, inputs)
    assert a.diverged > 0
    r = hand_result(agreement=a, n=64, workload=w)
    assert measure.diverged_lines([r]) == [
        f"W4 gd: {a.diverged} of 64 trajectories diverged in the kernel (stopped early: "
        "its time is not comparable)"
    ]


def test_x_error_by_hand():
    x0 = np.array([[1.0, -2.0], [0.5, 0.25]])
    ref = {"x_final": np.array([[1e-9, 0.0], [1.0, 0.0]])}
    got = {"x_final": np.array([[3e-9, 0.0], [1.0, 1e-7]])}
    # row 0: 2e-9 / max(1e-9, 2) = 1e-9; row 1: 1e-7 / max(1, 0.5) = 1e-7
    assert agree.x_error(got, ref, x0) == pytest.approx(1e-7, rel=1e-12)
    got["x_final"][0, 0] = np.nan
    assert agree.x_error(got, ref, x0) == math.inf
    assert agree.x_error(got, ref, x0[:0]) == 0.0


def test_table_row_with_the_optimizer_and_a_bound():
    w = replace(workloads.Workload("T", "sphere", 3, 100, 10, True, 0.1), optimizer="adagrad_full")
    a = agree.Agreement(True, False, x_err=3.3e-10)
    row = measure.table_row(hand_result(workload=w, agreement=a), optimizer_column=True)
    assert row[:3] == ["T", "adagrad_full", "sphere"]
    assert row[-2:] == ["yes", "no (x err 3.3e-10)"]
    assert measure.results_table([hand_result()]).split()[:2] == ["workload", "objective"]


@pytest.mark.parametrize(
    "argv", [["--workloads", "W9"], ["--workloads", ""], ["--scale", "0"], ["--repeats", "-1"]]
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        command.main(argv)
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_agreement_check_covers_every_chunk(monkeypatch):
    monkeypatch.setattr(measure, "CHECK_CHUNK", 50)
    w = replace(workloads.WORKLOADS["W1"], n=130, n_iter=10)
    inputs = measure.make_inputs(w, w.n)
    assert measure.check_agreement(w, inputs) == agree.Agreement(close=True, bitwise=True)
    real = baselines.run_numpy
    calls = []

    def off_in_last_chunk(w, part):
        out = real(w, part)
        calls.append(part.x0.shape[0])
        if len(calls) == 3:
            out["f_final"][-1] *= 1.0 + 1e-9
        return out

    monkeypatch.setattr(measure, "run_numpy", off_in_last_chunk)
    assert measure.check_agreement(w, inputs) == agree.Agreement(close=False, bitwise=False)
    assert calls == [50, 50, 30]


def test_main_exits_1_when_outputs_disagree(monkeypatch, capsys):
    real = baselines.run_numpy

    def off(w, part):
        out = real(w, part)
        out["h_f"] *= 1.0 + 1e-9
        return out

    monkeypatch.setattr(measure, "run_numpy", off)
    assert command.main(["--workloads", "W1", "--scale", "0.0001", "--repeats", "1"]) == 1
    out = capsys.readouterr().out
    assert table_rows(out)[1]["W1"]["agree"] == "NO"
    assert "DISAGREE" in out


def test_workload_overrides_build_the_plan_through_the_config(capsys):
    rastrigin = "objective=rastrigin objective.dim=3 sweep.seeds=5 sweep.n_iter=20"
    ellipsoid = (
        "objective=ellipsoid objective.dim=3 sweep.seeds=7 sweep.n_iter=40 "
        "optimizer.step_size=[0.01,0.1] record.schedule=log run.chunk_size=5"
    )
    argv = ["--workload-overrides", rastrigin, "--workload-overrides", ellipsoid]
    assert command.main([*argv, "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert f"O1: adagrad-lab {rastrigin}" in out
    rows = table_rows(out)[1]
    assert list(rows) == ["O1", "O2"]  # no built-in workloads unless --workloads is given
    o1, o2 = rows["O1"], rows["O2"]
    # the config's own default sweep: 13 step sizes x 5 seeds; no NumPy baseline for rastrigin
    assert (o1["objective"], o1["d"], o1["N"], o1["T"]) == ("rastrigin", "3", "65", "20")
    assert o1["history"] == "f:21" and float(o1["kernel s"]) > 0
    assert o1["numpy s"] == o1["speedup"] == o1["agree"] == "-"
    # per-trajectory step sizes, a log schedule (iterations 0-7, 9, 11, 14, 17, 21, 26, 32, 40),
    # several runner chunks: still bit for bit
    assert (o2["N"], o2["history"]) == ("14", "f:16")
    assert o2["agree"] == "yes" and o2["bitwise"] == "yes"


def test_workload_overrides_rejects_bad_config(capsys):
    assert command.main(["--workload-overrides", "objective=nope", "--repeats", "1"]) == 2
    assert "error: --workload-overrides" in capsys.readouterr().err


def test_peers_are_skipped_when_not_installed(monkeypatch, capsys):
    real = baselines.importlib.import_module

    def missing(name, *args):
        if name.split(".")[0] in {"jax", "optax", "torch"}:
            raise ImportError(f"No module named '{name}'")
        return real(name, *args)

    monkeypatch.setattr(baselines.importlib, "import_module", missing)
    argv = ["--workloads", "W3", "--scale", "0.0001", "--repeats", "1", "--peers"]
    assert command.main(argv) == 0
    out = capsys.readouterr().out
    assert "peers skipped (not importable): jax+optax (No module named 'jax'), torch" in out


class FakePeer:
    """A peer that returns the NumPy baseline's outputs, times ``factor`` in f_final."""

    def __init__(self, label: str, factor: float = 1.0, why: str = "") -> None:
        self.label, self.factor, self.why = label, factor, why

    def prepare(self, w, inputs):
        if self.why:
            raise baselines.UnsupportedError(self.why)

        def run():
            out = baselines.run_numpy(w, inputs)
            out["f_final"] *= self.factor
            return out

        return run


def test_peers_are_checked_against_the_kernel_and_tabled():
    w = replace(workloads.WORKLOADS["W4"], n=64, n_iter=20)
    peers = [FakePeer("same"), FakePeer("off", 1 + 1e-8), FakePeer("cannot", why="no way")]
    r = measure.bench_workload(w, 1.0, 2, peers)
    got = {p.peer: (p.agree, len(p.times), p.note) for p in r.peers}
    # 1e-8 relative is beyond rtol 1e-9; an unsupported peer is not timed
    assert got == {"same": (True, 2, ""), "off": (False, 2, ""), "cannot": (None, 0, "no way")}
    lines = measure.peer_table([r]).splitlines()[-3:]
    assert [line.split()[:2] for line in lines] == [["W4", "same"], ["W4", "off"], ["W4", "cannot"]]
    assert lines[0].endswith(" yes") and lines[1].endswith(" NO")
    assert lines[2].endswith(" skipped: no way")


@pytest.mark.slow  # the real command in fresh processes
def test_end_to_end_reports_both_variants(capsys):
    assert command.main(["--end-to-end", "--scale", "0.0001", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    header, rows = parse_table(out, "variant")
    assert header == (
        "variant", "N", "T", "records", "wall s", "run_s", "compile_s", "kernel s",
        "run/kernel", "history rows", "rows/s", "child RSS MiB",
    )  # fmt: skip
    assert list(rows) == ["every", "log"]
    # every iteration of 1000, and the log schedule's 29 (about 10 per decade, and the last)
    for name, n_rec in (("every", 1001), ("log", 29)):
        row = rows[name]
        assert (row["N"], row["T"], row["records"]) == ("64", "1000", str(n_rec))
        assert row["history rows"] == str(64 * n_rec)
        assert float(row["rows/s"]) > 0
        assert float(row["run_s"]) > 0 and float(row["kernel s"]) > 0
    assert re.search(r"second process to first trajectory: \d+\.\d+ s \(median of 3", out)


# ---------------------------------------------------------------- --startup: cold and warm


def test_startup_option_parses():
    assert command.build_parser().parse_args(["--startup"]).startup is True
    assert command.build_parser().parse_args([]).startup is False


class FakeChildren:
    """Stands in for the children of `startup`: records each one's NUMBA_CACHE_DIR, as it
    found it, and writes a cache file there as Numba would (unless ``writes`` is False)."""

    def __init__(self, writes: bool = True) -> None:
        self.writes = writes
        self.seen: list[tuple[str, Path, list[str]]] = []

    def visit(self, what: str, env: dict[str, str] | None) -> None:
        assert env is not None
        cache = Path(env["NUMBA_CACHE_DIR"])
        self.seen.append((what, cache, sorted(p.name for p in cache.rglob("*"))))
        if self.writes:
            (cache / "adagrad_lab_x").mkdir(exist_ok=True)
            for name in ("kernel._advance-1.py311.nbi", "kernel._advance-1.py311.1.nbc"):
                (cache / "adagrad_lab_x" / name).write_bytes(b"")

    def run(self, argv, cwd, capture_output, text, check, env):  # subprocess.run's call
        assert argv[1:] == ["-c", end_to_end.FIRST_TRAJECTORY]
        self.visit("start", env)
        return subprocess.CompletedProcess(argv, 0, stdout="0.5\n", stderr="")

    def spawn(self, argv, cwd, env=None):  # end_to_end.spawn's call
        assert argv[1:3] == ["-c", startup.COMMAND_CHILD]
        assert argv[4].startswith("hydra.run.dir=") and argv[5:] == list(startup.DEFAULT_SWEEP)
        self.visit("command", env)
        t = 1000.0
        marks = {"start": t, "imported": t + 0.5, "composed": t + 0.6, "compile": t + 0.7,
                 "compiled": t + 1.7, "first_chunk": t + 1.8, "end": t + 2.0}  # fmt: skip
        Path(argv[3]).write_text(json.dumps(marks))
        return 2.1, 0, 99.0, ""


def test_cold_children_get_a_fresh_empty_cache_dir_and_warm_ones_the_filled_one(
    monkeypatch, tmp_path
):
    fake = FakeChildren()
    monkeypatch.setattr(end_to_end.subprocess, "run", fake.run)
    monkeypatch.setattr(startup, "spawn", fake.spawn)
    r = startup.measure_startup(tmp_path, cold_runs=2, warm_runs=3)
    starts = [s for s in fake.seen if s[0] == "start"]
    commands = [s for s in fake.seen if s[0] == "command"]
    assert len(starts) == len(commands) == 5
    for seen in (starts, commands):
        cold, warm = seen[:2], seen[2:]
        assert [files for _, _, files in cold] == [[], []]  # empty when the child started
        assert cold[0][1] != cold[1][1]  # a fresh directory each
        assert all(cache.parent == tmp_path for _, cache, _ in cold)
        assert {cache for _, cache, _ in warm} == {cold[-1][1]}  # the last cold one's, filled
        assert all(files for _, _, files in warm)
    assert (r.cold, r.warm, r.cold_files) == ([0.5, 0.5], [0.5, 0.5, 0.5], [2, 2])
    assert len(r.cold_commands) == 2 and len(r.warm_commands) == 3


def test_a_cold_start_that_writes_no_cache_files_is_refused(monkeypatch, tmp_path, capsys):
    fake = FakeChildren(writes=False)
    monkeypatch.setattr(end_to_end.subprocess, "run", fake.run)
    with pytest.raises(RuntimeError, match="NUMBA_CACHE_DIR was not honoured"):
        startup.cold_start(tmp_path)
    monkeypatch.setattr(startup, "measure_startup", lambda *a: startup.cold_start(tmp_path))
    assert command.main(["--startup", "--repeats", "1"]) == 1
    assert "not honoured" in capsys.readouterr().err


def test_child_env_sets_only_the_cache_dir(tmp_path):
    assert end_to_end.child_env(None) is None
    env = end_to_end.child_env(tmp_path)
    assert env is not None and env["NUMBA_CACHE_DIR"] == str(tmp_path)
    assert {k: v for k, v in env.items() if k != "NUMBA_CACHE_DIR"} == {
        k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"
    }


def test_stages_by_hand():
    marks = {"start": 100.02, "imported": 100.52, "composed": 100.6, "compile": 100.72,
             "compiled": 106.72, "first_chunk": 106.92, "end": 107.0}  # fmt: skip
    s = startup.stages(marks, spawned=100.0, wall_s=7.1, peak_rss_mib=350.0)
    got = [s.python_s, s.imports_s, s.compose_s, s.compile_s, s.first_chunk_s, s.first_result_s]
    assert got == pytest.approx([0.02, 0.5, 0.2, 6.0, 0.2, 6.92])
    assert (s.exit_s, s.peak_rss_mib) == (7.1, 350.0)
    missing = startup.stages({"start": 100.02, "end": 101.0}, 100.0, 1.1, 1.0)
    assert missing.python_s == pytest.approx(0.02) and math.isnan(missing.compile_s)


def test_startup_lines_report_both_starts_and_the_goals_by_hand():
    def run(compile_s: float, first: float) -> startup.Stages:
        return startup.Stages(0.02, 0.5, 0.2, compile_s, 0.1, first, first + 0.3, 300.0)

    r = startup.Startup(
        cold=[6.0, 5.0, 12.0], cold_files=[4, 4, 4], warm=[0.6, 0.5, 0.7, 1.5, 0.4],
        cold_commands=[run(5.0, 6.0), run(6.0, 7.0), run(math.nan, 8.0)],
        warm_commands=[run(0.2, 1.2)] * 5,
    )  # fmt: skip
    lines = startup.startup_lines(r, cores=2)
    assert lines[0].startswith("cold start (empty kernel cache): 6.000 s (median of 3: ")
    assert "4 cache files written" in lines[0]
    assert lines[1].startswith("warm start: 0.600 s (median of 5: ")
    assert lines[2] == (
        "goal: first run after install within 10 s on 2 cores: met by the cold start "
        "(6.000 s); met by the command's first result (7.000 s)"
    )
    assert lines[3] == (
        "goal: later processes within 1 s: met by the warm start (0.600 s); "
        "MISSED by the command's first result (1.200 s)"
    )
    header, rows = parse_table("\n".join(lines), "start")
    assert header == startup.STARTUP_COLUMNS
    assert rows["cold"]["compile s"] == "5.500"  # the median of 5 and 6 (NaN runs: ignored)
    assert rows["cold"]["first result s"] == "7.000" and rows["cold"]["runs"] == "3"
    assert rows["warm"]["exit s"] == "1.500" and rows["warm"]["child RSS MiB"] == "300"


def test_startup_alone_runs_nothing_else(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(command, "run_startup", lambda cold, warm: calls.append((cold, warm)) or 0)
    monkeypatch.setattr(command, "run_end_to_end", lambda *a: calls.append("e2e") or 0)
    assert command.main(["--startup"]) == 0
    assert command.main(["--startup", "--repeats", "2", "--end-to-end"]) == 0
    assert calls == [(3, 5), (2, 2), "e2e"]


@pytest.mark.slow  # a real cold compile (about 5 s on 2 cores) and a warm load
def test_a_real_cold_start_compiles_into_its_empty_cache_dir(tmp_path):
    seconds, cache, n = startup.cold_start(tmp_path)
    assert n >= 2 and any(p.suffix == ".nbi" for p in cache.rglob("*"))
    assert seconds > 0 and end_to_end.first_trajectory_child(tmp_path, cache) > 0
    assert startup.cache_files(cache) == n  # the warm child loaded, and wrote nothing new


# ---------------------------------------------------------------- numbers and tables by hand


def hand_result(**changes) -> measure.Result:
    """A fixed result: sphere, d=3, T=10, N=100; kernel medians 0.2 s, NumPy 0.7 s."""
    w = workloads.Workload("T", "sphere", 3, 100, 10, True, 0.1)
    fields = {
        "workload": w, "n": 100, "warmup_s": 0.25, "kernel_s": [0.3, 0.1, 0.2],
        "numpy_s": [1.0, 0.4, 0.9, 0.5], "agreement": agree.Agreement(True, True),
        "peak_rss_mib": 123.4,
    }  # fmt: skip
    return measure.Result(**(fields | changes))


def test_table_row_computes_medians_speedup_and_throughput():
    r = hand_result()
    assert r.updates() == 100 * 10 * 3
    kernel_median = 0.2  # of 0.1, 0.2, 0.3
    numpy_median = (0.5 + 0.9) / 2  # of 0.4, 0.5, 0.9, 1.0: the middle two's mean
    assert measure.table_row(r) == [
        "T", "sphere", "3", "100", "10", "f:11", "0.250", "0.2000", "0.7000",
        "3.5x", f"{3000 / kernel_median:.3e}", f"{3000 / numpy_median:.3e}",
        "123", "yes", "yes",
    ]  # fmt: skip
    assert measure.table_row(r)[10:12] == ["1.500e+04", "4.286e+03"]


def test_table_row_without_a_baseline_and_in_a_fast_mode():
    r = hand_result(numpy_s=[], agreement=None)
    assert measure.table_row(r)[8:] == ["-", "-", "1.500e+04", "-", "123", "-", "-"]
    fast = replace(r.workload, mode=workloads.Mode(fastmath=True))
    errors = agree.RelErrors(0.125, 0.5, None, 3e-12)
    r = hand_result(workload=fast, agreement=agree.Agreement(False, False, errors))
    assert measure.table_row(r, fast_columns=True)[13:] == [
        "NO", "no (fast mode)", "1.25e-01", "5.00e-01", "-", "3.00e-12",
    ]  # fmt: skip


def test_format_table_is_right_aligned_under_a_rule():
    table = measure.format_table(("a", "bb"), [["1", "22"], ["333", "4"]])
    assert table == "  a  bb\n---  --\n  1  22\n333   4"


def test_results_table_prints_literally():
    w = workloads.Workload("W9", "sphere", 2, 64, 5, False, 0.1)
    r = measure.Result(w, 64, 1.5, [0.5], [2.0], agree.Agreement(True, False), 99.6)
    assert measure.results_table([r]).splitlines() == [
        "workload  objective  d   N  T  history  warm-up s  kernel s  numpy s  speedup"
        "  kernel upd/s  numpy upd/s  peak RSS MiB  agree  bitwise",
        "--------  ---------  -  --  -  -------  ---------  --------  -------  -------"
        "  ------------  -----------  ------------  -----  -------",
        "      W9     sphere  2  64  5        -      1.500    0.5000   2.0000     4.0x"
        "     1.280e+03    3.200e+02           100    yes       no",
    ]


def test_peer_row_by_hand():
    r = hand_result()
    p = measure.PeerResult("jax-x", 2.0, [0.8, 0.5, 0.3], True, peak_rss_mib=50.2)
    # peer median 0.5: NumPy / peer = 0.7 / 0.5, peer / kernel = 0.5 / 0.2, 3000 / 0.5 updates/s
    assert measure.peer_row(r, p) == [
        "T", "jax-x", "2.000", "0.5000", "0.2000", "0.7000", "1.4x", "2.5x", "6.000e+03",
        "50", "yes",
    ]  # fmt: skip
    skipped = measure.PeerResult("torch-x", math.nan, [], None, "why")
    assert measure.peer_row(r, skipped) == ["T", "torch-x", *["-"] * 8, "skipped: why"]


def test_end_to_end_row_takes_medians_by_hand():
    w = workloads.Workload("W1", "sphere", 2, 64, 1000, True, 0.1)
    commands = [
        end_to_end.Command(wall_s=2.0, run_s=1.0, compile_s=0.5, rows=900, peak_rss_mib=100.0),
        end_to_end.Command(wall_s=3.0, run_s=2.0, compile_s=0.7, rows=1000, peak_rss_mib=150.0),
        end_to_end.Command(wall_s=1.0, run_s=1.5, compile_s=0.6, rows=1000, peak_rss_mib=120.0),
    ]
    v = end_to_end.Variant("every", w, commands, [0.5, 0.25, 1.0])
    # medians: wall 2.0, run_s 1.5, compile_s 0.6, kernel 0.5, rows 1000; the largest RSS
    assert end_to_end.e2e_row(v) == [
        "every", "64", "1000", "1001", "2.000", "1.500", "0.600", "0.5000",
        "3.00", "1000", f"{1000 / 1.5:.3e}", "150",
    ]  # fmt: skip


# ---------------------------------------------------------------- agreement by hand


def outputs(f_final, h_f, x_final=None) -> dict:
    f_final, h_f = np.array(f_final, float), np.array(h_f, float)
    x = np.zeros((len(f_final), 2)) if x_final is None else np.array(x_final, float)
    return {"x_final": x, "f_final": f_final, "h_f": h_f, "h_gn": np.empty((len(f_final), 0))}


def test_compare_bitwise_by_hand():
    ref = outputs([1.0, 2.0], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    same = outputs([1.0, 2.0], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert agree.compare_bitwise(same, ref) == agree.Agreement(True, True)
    ulp = outputs([1.0, 2.0], [[1.0, np.nextafter(2.0, 3.0), 3.0], [4.0, 5.0, 6.0]])
    assert agree.compare_bitwise(ulp, ref) == agree.Agreement(True, False)  # within rtol 1e-12
    off = outputs([1.0, 2.0 * (1 + 1e-9)], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert agree.compare_bitwise(off, ref) == agree.Agreement(False, False)
    moved = outputs([1.0, 2.0], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[0, 0], [0, 1e-300]])
    assert agree.compare_bitwise(moved, ref) == agree.Agreement(True, False)  # x differs
    short = outputs([1.0, 2.0], [[1.0, 2.0], [4.0, 5.0]])
    assert agree.compare_bitwise(short, ref) == agree.Agreement(False, False)


def test_history_sample_is_evenly_spaced():
    assert list(agree.history_columns(3)) == [0, 1, 2]
    assert list(agree.history_columns(101)) == list(range(0, 101, 10))
    assert len(agree.history_columns(0)) == 0


def test_rel_errors_skip_tiny_references_and_count_lost_values():
    ref = np.array([1.0, 1e-30, np.inf, 2.0, 4.0, np.nan])
    got = np.array([1.5, 1.0, np.inf, np.nan, 4.0, 3.0], np.float32)
    err = agree.rel_errors(got, ref)
    # 1e-30 and NaN references say nothing; the same infinity agrees; a lost value is infinite
    assert err.tolist() == [0.5, 0.0, np.inf, 0.0]


def test_error_tally_statistics_by_hand():
    tally = agree.ErrorTally()
    # chunk 1: final errors 0.5, 0; history errors 0.5, 0.5, 0 / 0.25, 0, 0
    tally.add(
        outputs([1.5, 2.0], [[1.5, 3.0, 4.0], [10.0, 16.0, 32.0]]),
        outputs([1.0, 2.0], [[1.0, 2.0, 4.0], [8.0, 16.0, 32.0]]),
    )
    # chunk 2: final error 0.25; history errors 0, 0, 0.75
    tally.add(outputs([5.0], [[1.0, 2.0, 7.0]]), outputs([4.0], [[1.0, 2.0, 4.0]]))
    a = tally.agreement(workloads.Mode(fastmath=True))
    # history, all 9 sampled: sorted 0, 0, 0, 0, 0, 0.25, 0.5, 0.5, 0.75 -> median 0, max 0.75;
    # final: 0, 0.25, 0.5 -> median 0.25, max 0.5
    assert a.errors == agree.RelErrors(0.0, 0.75, 0.25, 0.5)
    assert a == agree.Agreement(False, False, a.errors)  # beyond fastmath's max 1e-9


def test_error_bounds_by_hand():
    small = agree.RelErrors(2e-6, 1e-2, 1e-6, 5e-2)
    assert small.within(1e-5, 0.1)  # float32's bounds
    assert not small.within(1e-6, 0.1)  # a median at 2e-6 is not below 1e-6
    assert not small.within(None, 1e-9)  # fastmath's
    assert agree.RelErrors(None, None, None, None).within(None, 1e-9)
    assert not agree.RelErrors(None, math.nan, None, None).within(None, 1.0)
    assert agree.bounds(workloads.Mode(precision="float32")) == (1e-5, 0.1)
    assert agree.bounds(workloads.Mode(fastmath=True)) == (None, 1e-9)
    assert agree.bounds_text(workloads.Mode(flush_subnormals=True)) == "max < 1e-09"


# ---------------------------------------------------------------- fast kernel modes

TINY = ["--scale", "0.001", "--repeats", "1", "--workloads", "W1,W4"]


def fast_rows(out: str) -> dict[str, dict[str, str]]:
    """The table's rows, after checking its columns and the fast-mode cells of W1 and W4."""
    header, rows = table_rows(out)
    assert header == (*MAIN_COLUMNS, *ERROR_COLUMNS)
    assert list(rows) == ["W1", "W4"]
    for row in rows.values():
        assert row["agree"] == "yes" and row["bitwise"] == "no (fast mode)"
        assert float(row["numpy s"]) > 0
        # history at every iteration: both history statistics are measured
        assert row["f rel err med"] != "-" and row["f rel err max"] != "-"
    # Rosenbrock's final f stays far above 1e-20, so its final errors are measured too
    assert rows["W4"]["f_final rel err med"] != "-"
    assert "outputs agree" in out
    return rows


def error_cells(rows: dict[str, dict[str, str]], stat: str) -> list[float]:
    """Every printed error of one statistic ('med' or 'max'), '-' cells left out."""
    cols = [c for c in ERROR_COLUMNS if c.endswith(stat)]
    return [float(row[c]) for row in rows.values() for c in cols if row[c] != "-"]


@pytest.mark.parametrize(
    ("flag", "label"), [("--fastmath", "fastmath"), ("--flush-subnormals", "flush_subnormals")]
)
def test_float64_fast_mode_reports_errors_within_its_bound(capsys, flag, label):
    assert command.main([*TINY, flag]) == 0
    out = capsys.readouterr().out
    assert f"kernel mode (W1-W4): {label} + float64; judged by f's relative error" in out
    rows = fast_rows(out)
    assert all(0 <= e < 1e-9 for e in error_cells(rows, "max") + error_cells(rows, "med"))


def test_float32_reports_errors_within_its_bounds(capsys):
    assert command.main([*TINY, "--precision", "float32"]) == 0
    out = capsys.readouterr().out
    assert "kernel mode (W1-W4): float32; judged by f's relative error" in out
    rows = fast_rows(out)
    medians, maxima = error_cells(rows, "med"), error_cells(rows, "max")
    assert len(medians) == len(maxima) >= 3
    # single precision really ran: every measured error is nonzero, and within the bounds
    assert all(0 < e < 1e-5 for e in medians)
    assert all(0 < e < 0.1 for e in maxima)


def test_fast_mode_beyond_its_bound_exits_1(monkeypatch, capsys):
    real = baselines.run_numpy

    def off(w, part):
        out = real(w, part)
        out["h_f"][:, 5] *= 1.0 + 1e-6  # far beyond fastmath's 1e-9, in a column not sampled
        return out

    monkeypatch.setattr(measure, "run_numpy", off)
    argv = ["--workloads", "W4", "--scale", "0.0001", "--repeats", "1", "--fastmath"]
    assert command.main(argv) == 1
    out = capsys.readouterr().out
    row = table_rows(out)[1]["W4"]
    assert row["agree"] == "NO" and row["bitwise"] == "no (fast mode)"
    assert 0.9e-6 < float(row["f rel err max"]) < 1.1e-6
    assert float(row["f rel err med"]) < 1e-9
    assert "DISAGREE" in out and "fast mode's bounds" in out


def test_plan_in_a_fast_mode_is_judged_by_its_errors(capsys):
    text = "objective=rosenbrock sweep.seeds=7 sweep.n_iter=30 run.precision=float32"
    assert command.main(["--workload-overrides", text, "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert f"O1: adagrad-lab {text} (kernel: float32)" in out
    assert "kernel mode (W1-W4): default (float64)" in out and "O rows: as their run" in out
    row = table_rows(out)[1]["O1"]
    assert row["agree"] == "yes" and row["bitwise"] == "no (fast mode)"
    assert 0 < float(row["f rel err max"]) < 0.1


def test_reused_outputs_are_timed_and_still_agree(capsys, monkeypatch):
    calls = []
    real = workloads.advance

    def spy(*args, **kwargs):
        calls.append(kwargs.get("out"))
        return real(*args, **kwargs)

    monkeypatch.setattr(workloads, "advance", spy)
    argv = ["--workloads", "W1", "--scale", "0.001", "--repeats", "2", "--reuse-outputs"]
    assert command.main(argv) == 0
    out = capsys.readouterr().out
    assert "outputs written into the arrays of an untimed first call" in out
    assert "outputs agree" in out
    timed = [o for o in calls if o is not None]
    assert len(timed) >= 2  # the timed calls write into the first call's arrays
    assert all(o["h_f"] is timed[0]["h_f"] for o in timed)


def test_reused_outputs_with_a_chunked_plan(capsys):
    text = "objective=sphere sweep.seeds=300 sweep.n_iter=20 run.chunk_size=128"
    assert command.main(["--workload-overrides", text, "--repeats", "2", "--reuse-outputs"]) == 0
    assert "outputs agree" in capsys.readouterr().out


# ---------------------------------------------------------------- the package's structure

BENCH = Path(workloads.__file__).parent
ORDER = (
    "workloads", "plans", "agree", "numpy_base", "numpy_adagrad", "numpy_moments", "numpy_rules",
    "c_peer", "baselines", "measure", "end_to_end", "counter_batches", "learning_numpy",
    "learning_torch", "learning",
    "startup", "report_time", "overview", "command",
)  # fmt: skip


def bench_imports(tree: ast.Module, name: str) -> set[str]:
    """The bench modules a module imports (relative or absolute)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 1 or base.startswith("adagrad_lab.bench"):
                tail = base.removeprefix("adagrad_lab.bench").lstrip(".")
                found |= {tail.split(".")[0]} if tail else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            prefix = "adagrad_lab.bench."
            found |= {a.name[len(prefix) :] for a in node.names if a.name.startswith(prefix)}
    return found - {name}


def module_tree(name: str) -> ast.Module:
    return ast.parse((BENCH / f"{name}.py").read_text())


def test_the_bench_modules_import_in_one_direction():
    files = {p.stem for p in BENCH.glob("*.py")}
    assert files == {*ORDER, "__init__", "__main__"}
    for i, name in enumerate(ORDER):
        later = bench_imports(module_tree(name), name) - set(ORDER[:i])
        assert not later, f"{name} imports {later}, which come after it"
    assert bench_imports(module_tree("__init__"), "__init__") == set()  # imports nothing
    assert bench_imports(module_tree("__main__"), "__main__") == {"command"}


@pytest.mark.parametrize("name", [*ORDER, "__init__", "__main__"])
def test_no_import_in_a_function_and_no_private_names_from_outside(name):
    tree = module_tree(name)
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            nested = [n for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom)]
            assert not nested, f"{name}: import inside {getattr(fn, 'name', 'lambda')}"
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert not [a.name for a in node.names if a.name.startswith("_")], ast.dump(node)
            modules |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
    for node in ast.walk(tree):  # no module._private either
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            private = node.attr.startswith("_") and not node.attr.startswith("__")
            assert not (private and node.value.id in modules), f"{name}: {ast.unparse(node)}"


def test_the_kernel_is_called_in_one_place():
    """`workloads.kernel_call` is the one call of `kernel.advance`, and reads the rule and
    objective codes; only `workloads` imports the kernel and the objectives (so the
    hyperparameter rows ``HP_*`` are used there alone)."""
    for name in ORDER:
        tree = module_tree(name)
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        if name != "workloads":
            assert not imported & {"kernel", "objectives", "kernel_steps", "registry"}, name
            used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
            assert not [n for n in used if n.startswith("HP_")], name
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef) and fn.name != "kernel_call":
                names = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
                attrs = {n.attr for n in ast.walk(fn) if isinstance(n, ast.Attribute)}
                assert not names & {"advance", "RULE_ADAGRAD", "RULE_GD"}, (name, fn.name)
                assert not attrs & {"advance", "rule", "objective_code", "code"}, (name, fn.name)
    calls = [
        n
        for n in ast.walk(module_tree("workloads"))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "advance"
    ]
    assert len(calls) == 1


# ---------------------------------------------------------------- --overview: the speed table

CELL = re.compile(r"\d+\.\d{3} \(\d+\.\d{2}x\)")


def test_overview_times_every_implementation_in_one_table(monkeypatch, capsys):
    monkeypatch.setattr(command, "run_startup", lambda cold, warm: print("STARTUP", cold, warm))
    monkeypatch.setattr(command, "run_report_times", lambda repeats: print("REPORT", repeats))
    argv = ["--overview", "--workloads", "W3,W4", "--scale", "0.0005", "--repeats", "2"]
    assert command.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("STARTUP 2 2\nREPORT 2\n") and "speed table: CPU " in out
    header, rows = table_rows(out)
    assert header[6:12] == overview.TIMED and set(rows) == {"W3", "W4"}
    for row in rows.values():
        assert all(CELL.fullmatch(row[name]) for name in overview.TIMED), row
        assert row["kernel"].endswith("(1.00x)") and row["exact bitwise"] == "yes"
    assert rows["W3"]["history"] == "-" and rows["W4"]["history"] == "f:1001"
    assert 0 <= float(rows["W4"]["fast max rel err f"]) < 1e-12
    assert out.rstrip().endswith("outputs agree")


def test_the_report_rows_time_the_command_with_and_without_its_report(monkeypatch, capsys):
    # a tiny run instead of the default sweep: its page shows the contour and convergence
    tiny = ("objective=booth", "sweep.seeds=2", "sweep.n_iter=5", "optimizer.step_size=0.1")
    monkeypatch.setattr(report_time, "CASES", (("tiny", tiny, 1.0),))
    assert report_time.run_report_times(1) == 0
    out = capsys.readouterr().out
    header, rows = parse_table(out, "report")
    assert list(header) == [
        *("report", "figures", "with s", "without s", "adds s", "adds min s", "goal s")
    ]
    (row,) = rows.values()
    assert row["figures"] == "4"  # convergence, runtime ECDF, contour, surface
    assert float(row["with s"]) > 0 and float(row["without s"]) > 0 and row["goal s"] == "1"
    one_pair = float(row["with s"]) - float(row["without s"])
    assert abs(float(row["adds s"]) - one_pair) <= 0.0015 and row["adds min s"] == row["adds s"]


def test_the_report_rows_by_hand():
    row = report_time.ReportTimes("x", 0.5, (3.0, 2.0, 4.0), (1.0, 1.5, 1.0), 2)
    assert row.added == (2.0, 0.5, 3.0)
    _, rows = parse_table(report_time.report_table([row]), "report")
    assert rows["x"] == {
        **{"report": "x", "figures": "2", "with s": "3.000", "without s": "1.000"},
        **{"adds s": "2.000", "adds min s": "0.500", "goal s": "0.5"},
    }


@pytest.mark.parametrize("flag", ["--fastmath", "--reuse-outputs", "--end-to-end", "--startup"])
def test_overview_refuses_the_flags_it_sets_itself(flag, capsys):
    assert command.main(["--overview", flag]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"adagrad-lab-bench: error: --overview runs its own modes; drop {flag}"


def test_overview_cells_by_hand():
    w = replace(workloads.WORKLOADS["W2"], n=64)
    times = {name: [1.0] for name in overview.TIMED}
    times |= {"kernel": [1.0, 3.0, 2.0], "numpy": [5.0], "fast": [1.0, 1.5]}
    errors = agree.RelErrors(1e-15, 2e-14, 0.0, 3e-13)
    peers = (
        measure.PeerResult("p", 0.1, [4.0, 6.0, 7.0], True),
        measure.PeerResult("q", 0.1, [2.0], False),
    )
    row = overview.Row(
        w, times, agree.Agreement(True, True), agree.Agreement(True, False, errors), peers, 12.4
    )
    header, rows = table_rows(overview.overview_table([row]))
    got = rows["W2"]
    assert (got["N"], got["history"], got["peak RSS MiB"]) == ("64", "f:1001", "12")
    assert got["kernel"] == "2.000 (1.00x)" and got["numpy"] == "5.000 (2.50x)"
    assert got["fast"] == "1.250 (0.62x)" and got["kernel reused"] == "1.000 (0.50x)"
    assert got["fast max rel err f"] == "3.0e-13"
    assert got["p"] == "6.000 (3.00x)" and got["q"] == "2.000 (1.00x) DISAGREES"
    assert header[-2:] == ("exact bitwise", "peak RSS MiB")
    assert not overview.agreed([row])  # peer q disagrees
    assert overview.agreed([replace(row, peers=peers[:1])])


def test_overview_checks_peers_against_the_exact_kernel():
    w = replace(workloads.WORKLOADS["W4"], n=64, n_iter=20)
    row = overview.measure_row(w, 1.0, 1, [FakePeer("same"), FakePeer("off", 1 + 1e-8)])
    assert [(p.peer, p.agree, len(p.times)) for p in row.peers] == [
        ("same", True, 1),
        ("off", False, 1),
    ]
    assert row.exact.bitwise and row.fast.close and not row.fast.bitwise
    assert all(len(row.times[name]) == 1 for name in overview.TIMED)


def test_the_cpu_model_is_the_model_name():
    name = cpu_model()
    assert name and "\n" not in name
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and "model name" in cpuinfo.read_text():
        assert f": {name}" in cpuinfo.read_text()


# ---------------------------------------------------------------- the C peer

needs_cc = pytest.mark.skipif(
    not (shutil.which("cc") or shutil.which("gcc")), reason="no C compiler on PATH"
)


@pytest.fixture(scope="module")
def compiled_c_peer():
    return c_peer.CPeer()


@needs_cc
@pytest.mark.parametrize("name", ["W1", "W2", "W3", "W4"])
def test_c_peer_equals_the_kernel_bit_for_bit(name, compiled_c_peer):
    w = workloads.WORKLOADS[name]
    w = replace(w, n=300 if w.dim == 2 else 40, n_iter=50)
    inputs = measure.make_inputs(w, w.n)
    ref = measure.run_kernel(w, inputs)
    got = compiled_c_peer.prepare(w, inputs)()
    assert set(got) == ({"x_final", "f_final", "h_f"} if w.history else {"x_final", "f_final"})
    for key, values in got.items():
        assert values.shape == ref[key].shape and np.array_equal(values, ref[key]), key


def test_c_peer_is_skipped_without_a_compiler(monkeypatch):
    monkeypatch.setattr(c_peer.shutil, "which", lambda name: None)
    peers, skipped = baselines.load_peers()
    assert "c (no C compiler (cc) on PATH)" in skipped
    assert not [p for p in peers if p.label.startswith("c-")]
