"""What the step-cost benchmark says about the machine it measures on, and
the environment its per-mode worker processes get."""
import os
import platform
from typing import Dict

import torch

#: kineto's log levels end with ERROR (4) and USDT (5): above them, quiet
KINETO_QUIET = '6'


def cpu_model() -> str:
    """The processor's name (Linux: ``/proc/cpuinfo``), so that figures
    from different machines are told apart."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown model'


def device_name(device: str) -> str:
    """``'NVIDIA H200'`` or ``'CPU (Intel(R) Xeon(R) ...), 2 threads'``."""
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(torch.device(device))
    return f'CPU ({cpu_model()}), {torch.get_num_threads()} threads'


def allocator_settings() -> str:
    """glibc malloc settings from the environment (the workers inherit
    them): they decide whether freed memory goes back to the OS every step
    and is page-faulted in again."""
    names = sorted(n for n in os.environ if n.startswith('MALLOC_'))
    return ''.join(f', {n}={os.environ[n]}' for n in names)


def worker_env(on_cuda: bool, quiet_warning: str) -> Dict[str, str]:
    """The environment of a worker process: this one's, with the warning
    filter ``quiet_warning`` (a ``PYTHONWARNINGS`` entry) unless one is set
    and, on CPU, kineto's logging off: the CPU profiler of a CUDA build of
    torch (``--profile-ops``) logs every start and stop and a failed GPU
    query. On a GPU kineto's messages stay (they report CUPTI problems)."""
    env = dict(os.environ)
    env.setdefault('PYTHONWARNINGS', quiet_warning)
    if not on_cuda:
        env.setdefault('KINETO_LOG_LEVEL', KINETO_QUIET)
    return env


def matmul_tflops(device: str = 'cpu', size: int = 1024,
                  repeats: int = 20) -> float:
    """The fp32 matrix product's measured TFLOP/s (square, ``size``, the
    process's threads; the best of ``repeats``): the CPU's practical peak,
    against which a training step's FLOP rate reads the same on any CPU."""
    import time
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    best = float('inf')
    for _ in range(repeats + 3):
        start = time.perf_counter()
        a @ b
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e12
