"""The lean dispatch mode counts exactly what PyTorch's ``FlopCounterMode``
counts, with the same formulas, and the profiler's raw events give the
self times ``key_averages`` gives; fails when PyTorch moves
``TorchDispatchMode`` or the profiler's private parts, or when the counts
or the times part."""
import threading
from collections import defaultdict

import pytest
import torch
import torch.nn.functional as F
from torch.profiler import (ProfilerActivity, _ExperimentalConfig, profile,
                            record_function)
from torch.utils.flop_counter import FlopCounterMode, flop_registry

from mmincubate.torch_compat import FormulaCounterMode, cpu_self_seconds
from mmincubate.utils.flops import EXTRA_FORMULAS, StepFlopCounter
from tests.helpers import digits_vit


def torch_counts(step) -> dict:
    """Per operator, what PyTorch's own counter counts in ``step()``."""
    with FlopCounterMode(display=False,
                         custom_mapping=EXTRA_FORMULAS) as counter:
        step()
    return {str(op): int(n)
            for op, n in counter.get_flop_counts()['Global'].items()}


def lean_counts(step) -> dict:
    counter = StepFlopCounter()
    counter.start()
    step()
    counter.stop()
    return counter.op_flops


def test_the_mode_sees_forward_and_backward_operators():
    weight = torch.randn(8, 16, requires_grad=True)
    with FormulaCounterMode(flop_registry) as mode:
        (torch.randn(4, 8) @ weight).sum().backward()
    assert {str(op): n for op, n in mode.counts.items()} == {
        'aten.mm': 2 * (2 * 4 * 8 * 16)}


def test_a_vit_training_step_counts_as_pytorch_counts_it():
    """timm's ViT: the patch convolution, linear layers, CPU attention
    (the extra formulas), forward and backward."""
    model = digits_vit(depth=2, seed=0)
    images, labels = torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 2, 3])

    def step():
        F.cross_entropy(model(images), labels).backward()

    expected = torch_counts(step)
    assert {'aten.convolution', 'aten.addmm',
            'aten._scaled_dot_product_flash_attention_for_cpu'} <= set(
                expected), expected
    assert lean_counts(step) == expected


def test_frozen_and_gradient_free_parts_count_as_pytorch_counts_them():
    """A prefix under ``no_grad``, a frozen layer whose input needs a
    gradient, batched products and a grouped convolution."""
    prefix, frozen = torch.nn.Linear(6, 6), torch.nn.Linear(6, 6)
    frozen.requires_grad_(False)
    conv = torch.nn.Conv2d(4, 4, 3, padding=1, groups=2)
    weight = torch.randn(3, 6, 6, requires_grad=True)

    def step():
        with torch.no_grad():
            hidden = prefix(torch.randn(3, 2, 6))
        hidden = frozen(torch.bmm(hidden, weight.transpose(1, 2)))
        out = conv(hidden.reshape(3, 4, 1, 3) @ torch.randn(3, 4, 3, 3))
        out.sum().backward()

    expected = torch_counts(step)
    assert {'aten.bmm', 'aten.addmm', 'aten.convolution',
            'aten.convolution_backward'} <= set(expected), expected
    assert lean_counts(step) == expected


def test_self_times_are_the_profilers_key_averages():
    """Operators' self CPU seconds from the profiler's raw events equal
    ``key_averages``'s summed by name: a timm ViT training step with AdamW
    (its step in a ``record_function`` range), a range nested in one of
    the same name around a product (a node ``key_averages`` merges), while
    another thread runs products of its own all along (recorded too:
    ``profile_all_threads``)."""
    model = digits_vit(depth=2, seed=0)
    optimizer = torch.optim.AdamW(model.parameters())
    images, labels = torch.rand(8, 1, 8, 8), torch.arange(8)
    stop = threading.Event()

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(images), labels).backward()
        optimizer.step()
        with record_function('twice'), record_function('twice'):
            torch.randn(16, 16) @ torch.randn(16, 16)

    def products():
        while not stop.is_set():
            torch.randn(32, 32) @ torch.randn(32, 32)

    step()
    other = threading.Thread(target=products)
    with profile(activities=[ProfilerActivity.CPU],
                 experimental_config=_ExperimentalConfig(
                     profile_all_threads=True)) as prof:
        other.start()
        step()
        stop.set()
        other.join()
    ours = cpu_self_seconds(prof)
    expected = defaultdict(float)
    for row in prof.key_averages():
        expected[row.key] += row.self_cpu_time_total / 1e6
    # the other thread's products ran inside the step's ranges: nested by
    # time alone, they would take self time from this thread's operators
    events = prof.events()
    main = next(e.thread for e in events if e.name.startswith('Optimizer'))
    longest = sorted((e.time_range for e in events if e.thread == main),
                     key=lambda r: r.end - r.start)[-20:]
    theirs = [e.time_range for e in events if e.thread != main]
    assert theirs and any(a.start < b.start and b.end < a.end
                          for a in longest for b in theirs)
    assert {'aten::addmm', 'aten::mm', 'twice'} <= set(ours), ours
    assert any(name.startswith('Optimizer.step') for name in ours), ours
    assert ours.keys() == expected.keys()
    for name, seconds in expected.items():
        assert ours[name] == pytest.approx(seconds, rel=1e-9, abs=1e-9), name
