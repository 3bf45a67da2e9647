"""Gradient averaging over processes for the per-hybrid training step."""
from typing import List, Sequence, Tuple

import torch
import torch.distributed as torch_dist
from torch import nn


class GradAllReduce:
    """Average gradients over all processes, one module at a time.

    :func:`train_step_per_hybrid` backpropagates one hybrid at a time, which
    DDP's reducer cannot follow (it expects one backward per forward over
    every trainable parameter). This reducer takes its place there: as soon
    as a module's gradients are final it launches one asynchronous
    all-reduce of them (divided by the world size first, as DDP does), so
    the communication of module i overlaps the compute of hybrid i+1;
    :meth:`wait` writes the averages back before the optimizer step. A
    trainable parameter without a gradient takes part with zeros, so every
    process reduces the same layout.

    Example:
        >>> reducer = GradAllReduce()
        >>> reducer.launch(model.module_parameters(0))  # after hybrid 0
        >>> reducer.wait()                              # before the step
    """

    def __init__(self) -> None:
        self.world_size = torch_dist.get_world_size()
        self._pending: List[Tuple[object, torch.Tensor,
                                  List[torch.Tensor]]] = []

    def launch(self, params: Sequence[nn.Parameter]) -> None:
        grads = []
        for param in params:
            if not param.requires_grad:
                continue
            if param.grad is None:
                param.grad = torch.zeros_like(param)
            grads.append(param.grad)
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        flat.div_(self.world_size)
        work = torch_dist.all_reduce(flat, async_op=True)
        self._pending.append((work, flat, grads))

    def wait(self) -> None:
        for work, flat, grads in self._pending:
            work.wait()
            offset = 0
            for grad in grads:
                grad.copy_(flat[offset:offset + grad.numel()].view_as(grad))
                offset += grad.numel()
        self._pending.clear()
