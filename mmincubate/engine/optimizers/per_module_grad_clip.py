"""Gradient clipping per incubated module."""
from typing import Callable, Dict, Iterable, List

import torch
from mmengine.logging import MessageHub

from mmincubate.models.algorithms.module_split import module_key


class PerModuleGradClip:
    """Clip each module's gradients on their own.

    When several modules incubate in one step, a global gradient norm would
    couple them (one module's large gradient would shrink the others'). This
    callable replaces ``OptimWrapper.clip_func`` and applies the configured
    clipping to each module's parameters separately; it works for
    ``OptimWrapper`` and ``AmpOptimWrapper`` alike. Each module's norm is
    logged as ``train/grad_norm_module{i}``.

    Example:
        >>> optim_wrapper.clip_func = PerModuleGradClip(
        ...     optim_wrapper.clip_func, {0: params_of_0, 1: params_of_1})
    """

    def __init__(self, clip_func: Callable,
                 module_params: Dict[int, List[torch.nn.Parameter]]) -> None:
        self.clip_func = clip_func
        self.module_params = module_params

    def __call__(self, params: Iterable[torch.nn.Parameter], **kwargs):
        selected = {id(p) for p in params}
        norms: Dict[int, torch.Tensor] = {}
        for index, module_params in self.module_params.items():
            group = [p for p in module_params if id(p) in selected]
            if not group:
                continue
            norm = self.clip_func(group, **kwargs)
            if norm is not None:
                norms[index] = torch.as_tensor(norm)
        if not norms:
            return None
        stacked = torch.stack(list(norms.values()))
        # one host synchronisation for all K norms, not one per module
        hub = MessageHub.get_current_instance()
        for index, value in zip(norms, stacked.tolist()):
            hub.update_scalar(f'train/{module_key("grad_norm", index)}', value)
        # what OptimWrapper logs as train/grad_norm: the largest module norm
        return stacked.max()


def clip_groups_apart(optim_wrapper, groups: Dict[int, List[torch.nn.Parameter]]
                      ) -> None:
    """Clip each of ``groups`` on its own where ``optim_wrapper`` clips and
    there is more than one group (the modules an algorithm trains
    independently in one step); otherwise leave its clipping as it is.

    Example:
        >>> clip_groups_apart(optim_wrapper, model.independent_groups())
    """
    if len(groups) > 1 and optim_wrapper.clip_grad_kwargs:
        optim_wrapper.clip_func = PerModuleGradClip(optim_wrapper.clip_func,
                                                    groups)
