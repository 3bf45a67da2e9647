"""What the machine is: the processor's name, the device's, and the
measured peak of its fp32 matrix product."""
import platform

import torch


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
