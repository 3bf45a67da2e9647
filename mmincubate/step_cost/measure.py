"""Measure one training mode in this process: time per step, FLOPs, peak
memory, the optimizer's share and the attention kernels that ran.

:func:`measure_mode` is what ``tools/analysis_tools/benchmark_incubation.py``
runs once per mode, each in a process of its own (so the peak resident
memory of a CPU run is that mode's own; :mod:`.mode_host`).
"""
import copy
import resource
import statistics
import time
from typing import Callable, Dict, Iterator, List, Optional

import torch
from torch import nn

from mmincubate.torch_compat import cpu_self_seconds
from mmincubate.utils.step_measure import (counted_step, synchronize,
                                           timed_step)
from .modes import build_step, prepare_mode

# operator names of fused attention kernels (CPU flash, CUDA flash,
# memory-efficient and cuDNN); unfused attention shows up as aten.bmm
FUSED_ATTENTION = ('scaled_dot_product', 'flash_attention',
                   'efficient_attention', 'cudnn_attention')


def _current_rss() -> int:
    """Resident bytes of this process now (Linux)."""
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize()


def _peak_rss() -> int:
    """Peak resident bytes of this process so far. The kernel's high-water
    mark (``ru_maxrss``, kB) is updated lazily and can trail the current
    resident size by a few hundred kB, so the larger of the two is taken."""
    high_water = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return max(high_water, _current_rss())


def synthetic_batches(batch: int, num_classes: int, size: int,
                      collate: Callable,
                      channels: int = 3) -> Iterator[dict]:
    """One fixed batch of random uint8 images and labels, collated as the
    config's dataloader collates, returned again and again."""
    from mmpretrain.structures import DataSample
    generator = torch.Generator().manual_seed(0)
    samples = [
        dict(inputs=torch.randint(0, 256, (channels, size, size),
                                  dtype=torch.uint8,
                                  generator=generator),
             data_samples=DataSample().set_gt_label(i % num_classes))
        for i in range(batch)
    ]
    data = collate(samples)
    while True:
        yield data


def loader_batches(loader) -> Iterator[dict]:
    """The batches of a real dataloader, epoch after epoch."""
    while True:
        yield from loader


def data_seconds_per_batch(loader_cfg: dict, batches: int = 5) -> float:
    """CPU seconds the data pipeline spends on one batch: load, decode,
    augment and collate in this process (no workers), the median of
    ``batches`` after one warm-up batch (epochs restart as needed)."""
    from mmengine.runner import Runner
    loader_cfg = dict(loader_cfg, num_workers=0, persistent_workers=False)
    iterator = loader_batches(Runner.build_dataloader(loader_cfg, seed=0))
    next(iterator)
    times = []
    for _ in range(batches):
        start = time.perf_counter()
        next(iterator)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def attention_kernels(op_flops: Dict[str, int]) -> str:
    """Which attention ran, from the FLOP counter's operator names."""
    fused = sorted(op for op in op_flops
                   if any(k in op for k in FUSED_ATTENTION)
                   and 'backward' not in op)
    if fused:
        return 'fused: ' + ', '.join(op.replace('aten.', '') for op in fused)
    return 'unfused (bmm)' if 'aten.bmm' in op_flops else 'none found'


# operator-name fragments of matrix products (self time: the op that ran
# the product, not the linear/matmul wrappers around it)
MATRIX_OPS = ('addmm', 'aten::mm', 'bmm', 'baddbmm', 'convolution')


def op_category(name: str) -> str:
    """``'attention'``, ``'matmul'`` or ``'other'`` (elementwise, norms,
    copies, reductions, the optimizer's arithmetic) for an operator name."""
    if any(k in name for k in FUSED_ATTENTION):
        return 'attention'
    if any(k in name for k in MATRIX_OPS):
        return 'matmul'
    return 'other'


def op_seconds(step: Callable, device: torch.device,
               steps: int = 3) -> Dict[str, float]:
    """Seconds per operator category in a step: the median over ``steps``
    profiled steps of the operators' self time on the host (CPU) or of
    their kernels' time (GPU). The profiler slows a step a little; compare
    categories and modes, not these seconds with the timed ones."""
    from torch.profiler import ProfilerActivity, profile
    cuda = device.type == 'cuda'
    activities = [ProfilerActivity.CPU] + (
        [ProfilerActivity.CUDA] if cuda else [])
    per_step = []
    for _ in range(steps):
        with profile(activities=activities) as prof:
            step()
            synchronize(device)
        seconds = dict(matmul=0.0, attention=0.0, other=0.0)
        if cuda:
            for event in prof.key_averages():
                seconds[op_category(event.key)] += \
                    event.self_device_time_total / 1e6
        else:  # the same self times, without the profiler's event objects
            for name, value in cpu_self_seconds(prof).items():
                seconds[op_category(name)] += value
        per_step.append(seconds)
    return {k: statistics.median(s[k] for s in per_step)
            for k in per_step[0]}


class _OptimizerTimer:
    """Times ``optimizer.step`` (synchronised before and after) while
    installed; used on extra steps only, never on the timed ones."""

    def __init__(self, optimizer: torch.optim.Optimizer,
                 device: torch.device) -> None:
        self.optimizer = optimizer
        self.device = device
        self.times: List[float] = []
        self._step = optimizer.step

    def __enter__(self):
        def timed(*args, **kwargs):
            synchronize(self.device)
            start = time.perf_counter()
            out = self._step(*args, **kwargs)
            synchronize(self.device)
            self.times.append(time.perf_counter() - start)
            return out
        self.optimizer.step = timed
        return self

    def __exit__(self, *exc) -> None:
        self.optimizer.step = self._step


def _optimizer_of(step) -> torch.optim.Optimizer:
    wrapper = getattr(step, 'optim_wrapper', None)
    return wrapper.optimizer if wrapper is not None else step.optimizer


def _paired_share(model: nn.Module, own: tuple, reference: tuple,
                  iters: int, device: torch.device,
                  drop_path_rate: float) -> float:
    """Median time ratio of steps of ``own`` to ``reference`` (each a
    ``(mode, step)``) taken in turn, which goes first alternating (a load
    that rises or falls across a pair cancels over two pairs). After every
    switch one step runs untimed: it pays for the switch (the allocator and
    caches turning to the other mode's tensors), which neither mode pays in
    a job of its own."""
    ratios = []
    for index in range(iters):
        seconds = {}
        for name, step in (own, reference)[::1 if index % 2 == 0 else -1]:
            prepare_mode(model, name, drop_path_rate)
            step()
            seconds[name] = timed_step(step, device)
        ratios.append(seconds[own[0]] / seconds[reference[0]])
    return statistics.median(ratios)


def measure_mode(model: nn.Module, mode: str, batches: Iterator[dict],
                 iters: int, warmup: int, drop_path_rate: float = 0.1,
                 optimizer_cfg: Optional[dict] = None, amp: bool = False,
                 clip_grad: float = 0.0,
                 reference: Optional[str] = 'e2e',
                 profile_ops: bool = False) -> dict:
    """Run ``warmup`` + ``iters`` timed steps of ``mode`` on ``model`` (a
    :class:`DeepIncubation` on its device), then one counted step (FLOPs,
    attention kernels), three with the optimizer step timed and, unless
    ``reference`` is None or ``mode``, ``iters`` timed steps of ``mode``
    and of ``reference`` in turn (the phase set again, one untimed step
    after each switch): the time share against the reference measured in
    one process, where both see the same machine load. With
    ``profile_ops``, three more steps run under the profiler
    (:func:`op_seconds`).

    Returns ``sec_per_step`` (median; each step includes fetching its
    batch), ``flops``, ``peak_bytes`` (GPU: the most allocated; CPU: the
    process's peak resident memory), ``resident_bytes`` (the same before
    the first step: weights and buffers of target and meta model, data
    workers not included), ``optimizer_sec``, ``attention``, the
    parameter counts, ``page_faults_per_step`` (minor faults of this
    process in the timed steps: memory the allocator handed back to the
    system and touches again), ``paired_share`` (the median of the ratios of
    neighbouring ``mode`` and ``reference`` steps; 1 for the reference)
    and ``op_seconds`` (None unless ``profile_ops``).
    """
    device = next(model.parameters()).device
    optimizer_cfg = copy.deepcopy(optimizer_cfg or dict(lr=1e-4,
                                                        weight_decay=0.05))
    model.train()
    params = prepare_mode(model, mode, drop_path_rate)
    step = build_step(model, mode, params, batches, optimizer_cfg, amp=amp,
                      clip_grad=clip_grad)
    synchronize(device)
    if device.type == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        resident = torch.cuda.memory_allocated(device)
    else:
        resident = _current_rss()
    for _ in range(warmup):
        step()
    synchronize(device)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    times = [timed_step(step, device) for _ in range(iters)]
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    peak = torch.cuda.max_memory_allocated(device) \
        if device.type == 'cuda' else max(_peak_rss(), resident)
    flops, op_flops = counted_step(step)
    with _OptimizerTimer(_optimizer_of(step), device) as timer:
        for _ in range(3):
            step()
    ops = op_seconds(step, device) if profile_ops else None
    stray = [n for n, p in model.meta.named_parameters()
             if p.grad is not None] if mode not in ('meta', ) else []
    if stray:
        raise RuntimeError(f'{mode}: meta parameters hold gradients after '
                           f'the step: {stray[:3]}')
    paired = None
    if reference == mode:
        paired = 1.0
    elif reference:
        reference_step = build_step(
            model, reference, prepare_mode(model, reference, drop_path_rate),
            batches, optimizer_cfg, amp=amp, clip_grad=clip_grad)
        paired = _paired_share(model, (mode, step),
                               (reference, reference_step), iters, device,
                               drop_path_rate)
    return dict(
        mode=mode,
        paired_share=paired,
        sec_per_step=statistics.median(times),
        sec_min=min(times),
        flops=flops,
        peak_bytes=int(peak),
        resident_bytes=int(resident),
        optimizer_sec=statistics.median(timer.times),
        page_faults_per_step=faults / max(iters, 1),
        op_seconds=ops,
        attention=attention_kernels(op_flops),
        optimized_params=sum(p.numel() for p in params['optimized']),
        discarded_grad_params=sum(p.numel() for p in params['discarded']),
    )
