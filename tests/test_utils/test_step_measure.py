"""A step's FLOPs are the matrix products' forward and backward, split by
operator; its seconds cover the step."""
import time

import torch

from mmincubate.utils.step_measure import counted_step, timed_step


def test_counted_step_counts_forward_and_backward():
    weight = torch.randn(8, 16, requires_grad=True)
    inputs = torch.randn(4, 8)

    def step():
        (inputs @ weight).sum().backward()

    flops, per_op = counted_step(step)
    # forward 2*4*8*16; backward: the weight's gradient only (inputs need
    # none), another 2*4*8*16
    assert flops == 2 * (2 * 4 * 8 * 16)
    assert sum(per_op.values()) == flops and set(per_op) == {'aten.mm'}


def test_timed_step_covers_the_step():
    assert timed_step(lambda: time.sleep(0.05)) >= 0.05
