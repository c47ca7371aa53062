"""The benchmark command: it runs end to end on tiny sizes and its NumPy baseline is exact.

Timings are never asserted (the design forbids timed tests); only the shape
of the report and the agreement between the kernel and the baseline.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import replace

import numpy as np
import pytest

from adagrad_lab import bench, bench_agree, bench_e2e, bench_peers
from adagrad_lab.schedule import record_iterations


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
    code = bench.main(["--workloads", "W1,W3", "--scale", "0.001", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "MEDIANS" in out
    header, rows = table_rows(out)
    assert header == bench.COLUMNS  # no error columns in the default mode
    assert "kernel mode (W1-W4): default (float64); outputs must equal NumPy's bit" in out
    assert "fast mode" not in out
    assert list(rows) == ["W1", "W3"]
    for name, row in rows.items():
        assert row["N"] == str(bench.WORKLOADS[name].scaled_n(0.001))
        assert row["agree"] == "yes"
        assert row["bitwise"] == "yes"
        assert float(row["kernel s"]) > 0 and float(row["numpy s"]) > 0
        assert row["speedup"].endswith("x")
        assert float(row["peak RSS MiB"]) > 0
    # f only by default (workloads W1, W2, W4 record f every iteration, no gradient norm)
    assert rows["W1"]["history"] == "f:1001" and rows["W3"]["history"] == "-"
    assert "outputs agree" in out
    assert "peers" not in out


def test_grad_norm_flag_records_it_in_both(capsys):
    argv = ["--workloads", "W4", "--scale", "0.0001", "--repeats", "1", "--grad-norm"]
    assert bench.main(argv) == 0
    row = table_rows(capsys.readouterr().out)[1]["W4"]
    assert row["history"] == "f+gn:1001"
    assert row["agree"] == "yes" and row["bitwise"] == "yes"


@pytest.mark.parametrize(
    ("objective", "dim"), [("sphere", 3), ("ellipsoid", 5), ("rosenbrock", 2), ("rosenbrock", 4)]
)
@pytest.mark.parametrize(("history", "grad_norm"), [(True, False), (True, True), (False, False)])
def test_numpy_baseline_matches_kernel_bit_for_bit(objective, dim, history, grad_norm):
    w = bench.Workload("T", objective, dim, 70, 25, history, 0.01, grad_norm=grad_norm)
    inputs = bench.make_inputs(w, w.n)
    ko, no = bench.run_kernel(w, inputs), bench.run_numpy(w, inputs)
    assert ko["h_gn"].shape[1] == (26 if grad_norm and history else 0)
    for key in ("x_final", "f_final", "h_f", "h_gn"):
        assert no[key].shape == ko[key].shape, key
        assert np.array_equal(no[key], ko[key]), key


def test_history_spans_several_buffer_flushes():
    n_iter = 2 * bench_peers.BUFFER_ROWS + 5
    w = replace(bench.WORKLOADS["W4"], n=64, n_iter=n_iter, grad_norm=True)
    inputs = bench.make_inputs(w, w.n)
    ko, no = bench.run_kernel(w, inputs), bench.run_numpy(w, inputs)
    assert np.array_equal(no["h_f"], ko["h_f"]) and np.array_equal(no["h_gn"], ko["h_gn"])


@pytest.mark.parametrize(
    "argv", [["--workloads", "W9"], ["--workloads", ""], ["--scale", "0"], ["--repeats", "-1"]]
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        bench.main(argv)
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_agreement_check_covers_every_chunk(monkeypatch):
    monkeypatch.setattr(bench, "CHECK_CHUNK", 50)
    w = replace(bench.WORKLOADS["W1"], n=130, n_iter=10)
    inputs = bench.make_inputs(w, w.n)
    assert bench.check_agreement(w, inputs) == bench.Agreement(close=True, bitwise=True)
    real = bench.run_numpy
    calls = []

    def off_in_last_chunk(w, part):
        out = real(w, part)
        calls.append(part.x0.shape[0])
        if len(calls) == 3:
            out["f_final"][-1] *= 1.0 + 1e-9
        return out

    monkeypatch.setattr(bench, "run_numpy", off_in_last_chunk)
    assert bench.check_agreement(w, inputs) == bench.Agreement(close=False, bitwise=False)
    assert calls == [50, 50, 30]


def test_main_exits_1_when_outputs_disagree(monkeypatch, capsys):
    real = bench.run_numpy

    def off(w, part):
        out = real(w, part)
        out["h_f"] *= 1.0 + 1e-9
        return out

    monkeypatch.setattr(bench, "run_numpy", off)
    assert bench.main(["--workloads", "W1", "--scale", "0.0001", "--repeats", "1"]) == 1
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
    assert bench.main([*argv, "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert f"O1: adagrad-lab {rastrigin}" in out
    rows = table_rows(out)[1]
    assert list(rows) == ["O1", "O2"]  # no built-in workloads unless --workloads is given
    o1, o2 = rows["O1"], rows["O2"]
    # the config's own default sweep: 13 step sizes x 5 seeds; no NumPy baseline for rastrigin
    assert (o1["objective"], o1["d"], o1["N"], o1["T"]) == ("rastrigin", "3", "65", "20")
    assert o1["history"] == "f:21" and float(o1["kernel s"]) > 0
    assert o1["numpy s"] == o1["speedup"] == o1["agree"] == "-"
    # per-trajectory step sizes, a log schedule, several runner chunks: still bit for bit
    assert (o2["N"], o2["history"]) == ("14", f"f:{len(record_iterations('log', 40))}")
    assert o2["agree"] == "yes" and o2["bitwise"] == "yes"


def test_workload_overrides_rejects_bad_config(capsys):
    assert bench.main(["--workload-overrides", "objective=nope", "--repeats", "1"]) == 2
    assert "error: --workload-overrides" in capsys.readouterr().err


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) for m in ("jax", "torch")), reason="a peer is installed"
)
def test_peers_are_skipped_when_not_installed(capsys):
    argv = ["--workloads", "W3", "--scale", "0.0001", "--repeats", "1", "--peers"]
    assert bench.main(argv) == 0
    assert "peers skipped (not importable): jax+optax" in capsys.readouterr().out


def test_end_to_end_reports_both_variants(capsys):
    assert bench.main(["--end-to-end", "--scale", "0.0001", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    header, rows = parse_table(out, "variant")
    assert header == bench_e2e.E2E_COLUMNS
    assert list(rows) == ["every", "log"]
    for name, n_rec in (("every", 1001), ("log", len(record_iterations("log", 1000)))):
        row = rows[name]
        assert (row["N"], row["T"], row["records"]) == ("64", "1000", str(n_rec))
        assert row["history rows"] == str(64 * n_rec)
        assert float(row["rows/s"]) > 0
        assert float(row["run_s"]) > 0 and float(row["kernel s"]) > 0
    assert re.search(r"second process to first trajectory: \d+\.\d+ s \(median of 3", out)


# ---------------------------------------------------------------- fast kernel modes

TINY = ["--scale", "0.001", "--repeats", "1", "--workloads", "W1,W4"]


def fast_rows(out: str) -> dict[str, dict[str, str]]:
    """The table's rows, after checking its columns and the fast-mode cells of W1 and W4."""
    header, rows = table_rows(out)
    assert header == (*bench.COLUMNS, *bench_agree.FAST_COLUMNS)
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
    cols = [c for c in bench_agree.FAST_COLUMNS if c.endswith(stat)]
    return [float(row[c]) for row in rows.values() for c in cols if row[c] != "-"]


@pytest.mark.parametrize(
    ("flag", "label"), [("--fastmath", "fastmath"), ("--flush-subnormals", "flush_subnormals")]
)
def test_float64_fast_mode_reports_errors_within_its_bound(capsys, flag, label):
    assert bench.main([*TINY, flag]) == 0
    out = capsys.readouterr().out
    assert f"kernel mode (W1-W4): {label} + float64; judged by f's relative error" in out
    rows = fast_rows(out)
    assert all(0 <= e < 1e-9 for e in error_cells(rows, "max") + error_cells(rows, "med"))


def test_float32_reports_errors_within_its_bounds(capsys):
    assert bench.main([*TINY, "--precision", "float32"]) == 0
    out = capsys.readouterr().out
    assert "kernel mode (W1-W4): float32; judged by f's relative error" in out
    rows = fast_rows(out)
    medians, maxima = error_cells(rows, "med"), error_cells(rows, "max")
    assert len(medians) == len(maxima) >= 3
    # single precision really ran: every measured error is nonzero, and within the bounds
    assert all(0 < e < 1e-5 for e in medians)
    assert all(0 < e < 0.1 for e in maxima)


def test_fast_mode_beyond_its_bound_exits_1(monkeypatch, capsys):
    real = bench.run_numpy

    def off(w, part):
        out = real(w, part)
        out["h_f"][:, 5] *= 1.0 + 1e-6  # far beyond fastmath's 1e-9, in a column not sampled
        return out

    monkeypatch.setattr(bench, "run_numpy", off)
    argv = ["--workloads", "W4", "--scale", "0.0001", "--repeats", "1", "--fastmath"]
    assert bench.main(argv) == 1
    out = capsys.readouterr().out
    row = table_rows(out)[1]["W4"]
    assert row["agree"] == "NO" and row["bitwise"] == "no (fast mode)"
    assert 0.9e-6 < float(row["f rel err max"]) < 1.1e-6
    assert float(row["f rel err med"]) < 1e-9
    assert "DISAGREE" in out and "fast mode's bounds" in out


def test_plan_in_a_fast_mode_is_judged_by_its_errors(capsys):
    text = "objective=rosenbrock sweep.seeds=7 sweep.n_iter=30 run.precision=float32"
    assert bench.main(["--workload-overrides", text, "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert f"O1: adagrad-lab {text} (kernel: float32)" in out
    assert "kernel mode (W1-W4): default (float64)" in out and "O rows: as their run" in out
    row = table_rows(out)[1]["O1"]
    assert row["agree"] == "yes" and row["bitwise"] == "no (fast mode)"
    assert 0 < float(row["f rel err max"]) < 0.1


def test_rel_errors_skip_tiny_references_and_count_lost_values():
    ref = np.array([1.0, 1e-30, np.inf, 2.0, 4.0, np.nan])
    got = np.array([1.5, 1.0, np.inf, np.nan, 4.0, 3.0], np.float32)
    err = bench_agree.rel_errors(got, ref)
    # 1e-30 and NaN references say nothing; the same infinity agrees; a lost value is infinite
    assert err.tolist() == [0.5, 0.0, np.inf, 0.0]


def test_reused_outputs_are_timed_and_still_agree(capsys, monkeypatch):
    calls = []
    real = bench.advance

    def spy(*args, **kwargs):
        calls.append(kwargs.get("out"))
        return real(*args, **kwargs)

    monkeypatch.setattr(bench, "advance", spy)
    argv = ["--workloads", "W1", "--scale", "0.001", "--repeats", "2", "--reuse-outputs"]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    assert "outputs written into the arrays of an untimed first call" in out
    assert "outputs agree" in out
    timed = [o for o in calls if o is not None]
    assert len(timed) >= 2  # the timed calls write into the first call's arrays
    assert all(o["h_f"] is timed[0]["h_f"] for o in timed)


def test_reused_outputs_with_a_chunked_plan(capsys):
    text = "objective=sphere sweep.seeds=300 sweep.n_iter=20 run.chunk_size=128"
    assert bench.main(["--workload-overrides", text, "--repeats", "2", "--reuse-outputs"]) == 0
    assert "outputs agree" in capsys.readouterr().out
