"""Benchmark: the Numba kernel against plain NumPy-vectorized AdaGrad (and, with
``--optimizers``, every update rule of the registry), in one process.

The performance contract (shared/DESIGN.md) asks for the kernel's throughput
in trajectory-coordinate updates per second, side by side with a NumPy
implementation of the same sweep. This package is that measurement, the
``adagrad-lab-bench`` command (``python -m adagrad_lab.bench``, ``make bench``):
for each workload it warms the kernel up (its compile or cache-load time is
reported apart), checks once that both give the same numbers, then times them
repeat by repeat, interleaved, so drifts in machine load hit both alike, and
prints medians. ``--end-to-end`` times the real command instead, ``--startup``
the time to first result, cold (empty Numba cache) and warm,
``--peers`` adds JAX and PyTorch, ``--workload-overrides`` builds a workload
from the project's own config. ``--fastmath``, ``--precision float32``,
``--flush-subnormals``: the kernel in an opt-in fast mode, judged by f's
relative error against NumPy, not bit for bit. ``--optimizers gd,adam`` (or
``all``) runs other rules of the registry on the built-in workloads, each
against its own NumPy baseline (default: ``adagrad`` alone, the table of old).

Its modules import one another in one direction only, each from those before
it in this list and never from one after it (and never inside a function)::

    workloads   the kernel's arithmetic (Mode), the workloads, their inputs, and
                kernel_call: the benchmark's one call of the kernel
    plans       workloads from the config (--workload-overrides, --end-to-end)
    agree       how outputs are judged: bit for bit, or a fast mode's (a rule's) error bounds
    numpy_base  what the NumPy baseline's update rules share
    numpy_adagrad, numpy_moments  the rules: AdaGrad's forms and GD; the moment methods
    numpy_rules the rules keyed by optimizer name, one per optimizer of the catalog
    baselines   the NumPy baseline's loop, and the JAX and PyTorch peers (AdaGrad only)
    measure     warm-up, agreement check, timed repeats, the tables
    end_to_end  --end-to-end: the real command in fresh processes
    startup     --startup: time to first result, cold and warm, in fresh processes
    command     the flags, the header, main()

Nothing is imported here, so the end-to-end child can import `workloads` alone.
"""
