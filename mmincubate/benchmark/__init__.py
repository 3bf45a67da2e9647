"""Incubation against end-to-end training at equal cost: plans, results,
plots (driven by ``tools/run_benchmark.py``); and the step cost of every
training mode: ``step_modes``, ``step_measure``, ``step_report``,
``step_machine`` (driven by
``tools/analysis_tools/benchmark_incubation.py``)."""
