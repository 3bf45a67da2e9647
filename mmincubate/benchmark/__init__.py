"""Incubation against end-to-end training at equal cost: plans, results,
plots (driven by ``tools/run_benchmark.py``)."""
