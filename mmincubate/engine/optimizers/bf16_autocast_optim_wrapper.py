"""An optimizer wrapper whose forward runs under bf16 autocast."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from mmincubate.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` with the forward under ``torch.autocast`` in bfloat16.

    Matrix products and attention run in bf16, the weights, gradients and
    optimizer states stay fp32. bf16 has fp32's exponent range, so unlike
    fp16 (mmengine's ``AmpOptimWrapper``) no loss scaler is needed, and with
    it goes the scaler's per-step host synchronisation (its inf check). Works
    on CPU and GPU alike (the device is the model's). ``tools/train.py
    --amp`` selects it.

    Example:
        >>> optim_wrapper = dict(type='BF16AutocastOptimWrapper',
        ...                      optimizer=dict(type='AdamW', lr=1e-3))
    """

    @contextmanager
    def optim_context(self, model: nn.Module):
        device = next(model.parameters()).device.type
        with super().optim_context(model), \
                torch.autocast(device_type=device, dtype=torch.bfloat16):
            yield
