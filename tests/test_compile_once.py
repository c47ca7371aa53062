"""Processes that need the same kernel variant at the same moment compile it once
(`jit.compile_once`): the others wait for the first and load what it saved.

Two fresh processes share an empty NUMBA_CACHE_DIR, wait for each other, then call
`advance` on the same variant together. Numba alone would compile it in both (each
misses the cache, and a compile takes seconds); with the lock one compiles and the
other loads, and both get the same bits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adagrad_lab.jit.compile_once import lock_path

CHILD = """
import json, sys, time
from pathlib import Path
import numpy as np
from numba.core import event
from adagrad_lab.kernel.driver import advance

compiled = []
class Count(event.Listener):
    def on_start(self, ev):
        name = getattr(getattr(ev.data.get("dispatcher"), "py_func", None), "__name__", "")
        if name.startswith("_advance"):
            compiled.append(name)
    def on_end(self, ev):
        pass
event.register("numba:compile", Count())

folder = Path(sys.argv[1])
(folder / f"ready-{sys.argv[2]}").touch()
while len(list(folder.glob("ready-*"))) < 2:  # both imported: start together
    time.sleep(0.01)
x0 = np.array([[0.5, -0.25], [1.0, 2.0]])
hp = np.array([[0.1, 0.2], [1e-8, 1e-8], [0.0, 0.0]])
out = advance(x0, hp, rule=0, n_iter=20)
print(json.dumps({"compiled": compiled, "f": out["f_final"].tolist()}))
"""


@pytest.mark.slow
def test_two_processes_compile_a_variant_once(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), str(i)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    results = []
    for child in children:
        stdout, stderr = child.communicate(timeout=300)
        assert child.returncode == 0, stderr
        results.append(json.loads(stdout))
    assert sorted(len(r["compiled"]) for r in results) == [0, 1]
    assert results[0]["f"] == results[1]["f"]


def test_the_lock_is_one_per_variant_signature_and_cache(monkeypatch) -> None:
    first = lock_path("_advance_sphere_adagrad", ["float64", "int64"])
    assert first == lock_path("_advance_sphere_adagrad", ["float64", "int64"])
    assert first != lock_path("_advance_sphere_gd", ["float64", "int64"])
    assert first != lock_path("_advance_sphere_adagrad", ["float32", "int64"])
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(time.time()))
    assert first != lock_path("_advance_sphere_adagrad", ["float64", "int64"])
