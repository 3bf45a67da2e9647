"""The step cost of every training mode of a K-module model against its
FLOP share (driven by ``tools/analysis_tools/benchmark_incubation.py``):
``modes`` (the modes and one step of each), ``measure`` (timing, memory,
FLOPs, the data pipeline), ``report`` (derived figures and tables),
``machine`` (the worker processes' environment)."""
