"""The environment of the step-cost benchmark's per-mode worker processes,
and the allocator settings that the header reports."""
import os
from typing import Dict

#: kineto's log levels end with ERROR (4) and USDT (5): above them, quiet
KINETO_QUIET = '6'
#: torch.cuda.is_available() through NVML: it leaves the CUDA driver
#: untouched, so that a process may still fork children that use it
NVML_CHECK = 'PYTORCH_NVML_BASED_CUDA_CHECK'


def allocator_settings() -> str:
    """glibc malloc settings from the environment (the workers inherit
    them): they decide whether freed memory goes back to the OS every step
    and is page-faulted in again."""
    names = sorted(n for n in os.environ if n.startswith('MALLOC_'))
    return ''.join(f', {n}={os.environ[n]}' for n in names)


def worker_env(on_cuda: bool, quiet_warning: str) -> Dict[str, str]:
    """The environment of a worker process: this one's, with the warning
    filter ``quiet_warning`` (a ``PYTHONWARNINGS`` entry) unless one is set
    and, on CPU, kineto's logging off (the CPU profiler of a CUDA build of
    torch, ``--profile-ops``, logs every start and stop and a failed GPU
    query; on a GPU its messages stay: they report CUPTI problems) and the
    CUDA check through NVML (the host forks after its ``--device`` default
    asked whether a GPU is there)."""
    env = dict(os.environ)
    env.setdefault('PYTHONWARNINGS', quiet_warning)
    if not on_cuda:
        env.setdefault('KINETO_LOG_LEVEL', KINETO_QUIET)
        env.setdefault(NVML_CHECK, '1')
    return env
