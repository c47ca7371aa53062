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

from adagrad_lab import bench, bench_e2e, bench_peers
from adagrad_lab.schedule import record_iterations


def parse_table(text: str, first: str, columns) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The printed table whose header starts with ``first``: (header words, {row: {col: cell}})."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [first])
    rows = {}
    for line in lines[start + 2 :]:
        cells = line.split()
        if len(cells) != len(columns):
            break
        rows[cells[0]] = dict(zip(columns, cells, strict=True))
    return lines[start].split(), rows


def table_rows(text: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    return parse_table(text, "workload", bench.COLUMNS)


def test_main_prints_table_and_agreement(capsys):
    code = bench.main(["--workloads", "W1,W3", "--scale", "0.001", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "MEDIANS" in out
    header, rows = table_rows(out)
    # multi-word column names split on spaces; compare the joined text instead
    assert " ".join(header) == " ".join(bench.COLUMNS)
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
    rows = parse_table(out, "variant", bench_e2e.E2E_COLUMNS)[1]
    assert list(rows) == ["every", "log"]
    for name, n_rec in (("every", 1001), ("log", len(record_iterations("log", 1000)))):
        row = rows[name]
        assert (row["N"], row["T"], row["records"]) == ("64", "1000", str(n_rec))
        assert row["history rows"] == str(64 * n_rec)
        assert float(row["rows/s"]) > 0
        assert float(row["run_s"]) > 0 and float(row["kernel s"]) > 0
    assert re.search(r"second process to first trajectory: \d+\.\d+ s \(median of 3", out)
