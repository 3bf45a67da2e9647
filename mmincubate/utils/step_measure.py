"""One training step measured: its seconds and its FLOPs.

The step-cost benchmark (:mod:`mmincubate.step_cost`) and the benchmark's
arm lengths (:mod:`mmincubate.benchmark.arm_length`) both measure steps
with these, so a step is timed and counted one way.

Example:
    >>> seconds = timed_step(lambda: model.train_step(batch, wrapper), device)
    >>> flops, per_op = counted_step(lambda: model.train_step(batch, wrapper))
"""
import time
from typing import Callable, Dict, Optional, Tuple

import torch

from .flops import StepFlopCounter


def synchronize(device: Optional[torch.device]) -> None:
    """Wait for the device's queued work (a no-op off CUDA)."""
    if device is not None and device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed_step(step: Callable[[], object],
               device: Optional[torch.device] = None) -> float:
    """Seconds of one ``step()``, the device's work included."""
    start = time.perf_counter()
    step()
    synchronize(device)
    return time.perf_counter() - start


def counted_step(step: Callable[[], object]) -> Tuple[int, Dict[str, int]]:
    """FLOPs of one ``step()`` (forward and backward, the matrix products
    :class:`StepFlopCounter` counts) and their split by operator name."""
    counter = StepFlopCounter()
    counter.start()
    try:
        step()
    finally:
        flops = counter.stop()
    return flops, counter.op_flops
