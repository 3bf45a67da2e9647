"""Incubation against end-to-end training, or any arms, at equal cost:
plans, arm lengths, results, plots (driven by ``tools/run_benchmark.py``),
and whole runs timed against each other (``run_speed``, driven by
``tools/analysis_tools/benchmark_run.py``). The step cost of each training
mode is :mod:`mmincubate.step_cost`."""
