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


class _MatmulInStep(torch.optim.SGD):
    """An optimizer whose step does a matrix product (2*8*8*8 FLOPs if a
    counter traced it)."""

    def step(self, closure=None):
        torch.randn(8, 8) @ torch.randn(8, 8)
        return super().step(closure)


def test_the_optimizer_step_is_left_out_and_counting_goes_on():
    """Spans before and after ``optimizer.step`` add up; the step itself
    runs untraced (its element-wise work counts nothing anyway), also
    for a second optimizer; the hooks go with the counter (a step after
    it, or a count of a step alone, sees none)."""
    weight = torch.randn(8, 16, requires_grad=True)
    inputs = torch.randn(4, 8)
    first, second = _MatmulInStep([weight], lr=0.1), _MatmulInStep(
        [torch.randn(2, requires_grad=True)], lr=0.1)

    def step():
        (inputs @ weight).sum().backward()
        first.step()
        second.step()
        (inputs @ weight).sum().backward()

    flops, per_op = counted_step(step)
    assert flops == 2 * 2 * (2 * 4 * 8 * 16), per_op
    first.step()
    assert counted_step(lambda: first.step())[0] == 0
