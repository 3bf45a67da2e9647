"""DDP for a model whose training step backpropagates more than once."""
from typing import Dict, Union

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

from mmincubate.registry import MODEL_WRAPPERS
from .grad_all_reduce import GradAllReduce


@MODEL_WRAPPERS.register_module()
class PerHybridDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that owns the per-hybrid step.

    :class:`DeepIncubation` incubating several modules in one step
    backpropagates hybrid by hybrid (``steps_hybrid_by_hybrid``), which
    DDP's reducer cannot follow: it expects one backward per forward over every
    trainable parameter. For such a step this wrapper hands the model a
    :class:`GradAllReduce`, which averages each module's gradients over the
    processes as soon as they are final; every other step (the meta model,
    one module, fine-tuning) is DDP's own. The loop calls
    ``runner.model.train_step`` whatever the number of processes, as with
    mmengine's ``MMSeparateDistributedDataParallel``.

    ``ExactResumeRunner`` wraps a model that declares
    ``steps_hybrid_by_hybrid`` with it in a distributed run, unless the
    config names another wrapper.

    Example:
        >>> model_wrapper_cfg = dict(
        ...     type='mmincubate.PerHybridDistributedDataParallel',
        ...     broadcast_buffers=False)
    """

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        if getattr(self.module, 'steps_hybrid_by_hybrid', False):
            return self.module.train_step(data, optim_wrapper,
                                          grad_reducer=GradAllReduce())
        return super().train_step(data, optim_wrapper)
