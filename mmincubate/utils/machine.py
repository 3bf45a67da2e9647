"""What the machine is: the processor's name, the device's, and the
measured peak of its fp32 matrix product."""
import platform
from typing import Optional

import torch

#: dense bf16 peak TFLOP/s by a part of the device's name, as the makers'
#: data sheets give them (``torch.cuda.get_device_name``: "NVIDIA H100 80GB
#: HBM3" is the SXM part); the first match wins
PEAK_BF16_TFLOPS = (
    ('H100 PCIe', 756.0),
    ('H100 80GB HBM3', 989.0),
    ('H100 SXM', 989.0),
    ('H200', 989.0),
    ('A100', 312.0),
)


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


def peak_tflops(device_name: str) -> Optional[float]:
    """The device's dense bf16 peak from :data:`PEAK_BF16_TFLOPS`, or None
    for a device not in the table (pass the figure yourself).

    Example:
        >>> peak_tflops('NVIDIA H100 PCIe')
        756.0
    """
    for part, value in PEAK_BF16_TFLOPS:
        if part in device_name:
            return value
    return None
