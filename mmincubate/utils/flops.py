"""Measured training FLOPs: ``torch.utils.flop_counter``'s formulas applied
to the operators of real steps.

PyTorch's formulas know the matrix products (``mm``, ``addmm``, ``bmm``,
convolutions) and the GPU attention kernels. On CPU,
``F.scaled_dot_product_attention`` runs
``_scaled_dot_product_flash_attention_for_cpu`` (and its backward), which
PyTorch does not list; they get PyTorch's own attention formulas here
(PyTorch's registry stays untouched), so attention counts on every device.
The operators are seen by a lean dispatch mode
(:class:`mmincubate.torch_compat.FormulaCounterMode`), which counts what
``FlopCounterMode`` counts at a fraction of its overhead. Element-wise
work (norms, activations, the optimizer step) is not counted: these are
the FLOPs of the matrix products, the figure model-FLOP utilisation uses.
A multiply-add counts as 2.
"""
from collections import Counter
from typing import Dict, Optional

import torch
from torch.optim.optimizer import (register_optimizer_step_post_hook,
                                   register_optimizer_step_pre_hook)
from torch.utils import flop_counter

from mmincubate.torch_compat import FormulaCounterMode

aten = torch.ops.aten


def _cpu_attention(query_shape, key_shape, value_shape, *args,
                   out_shape=None, **kwargs) -> int:
    return flop_counter.sdpa_flop_count(query_shape, key_shape, value_shape)


def _cpu_attention_backward(grad_out_shape, query_shape, key_shape,
                            value_shape, *args, out_shape=None,
                            **kwargs) -> int:
    return flop_counter.sdpa_backward_flop_count(grad_out_shape, query_shape,
                                                 key_shape, value_shape)


def _extra_formulas() -> dict:
    """Formulas for ops PyTorch's counter does not list, taking shapes
    (as ``FlopCounterMode(custom_mapping=...)`` takes them; the global
    registry stays untouched)."""
    names = {
        '_scaled_dot_product_flash_attention_for_cpu': _cpu_attention,
        '_scaled_dot_product_flash_attention_for_cpu_backward':
        _cpu_attention_backward,
    }
    return {
        getattr(aten, name): formula
        for name, formula in names.items()
        if hasattr(aten, name)
        and getattr(aten, name) not in flop_counter.flop_registry
    }


EXTRA_FORMULAS = _extra_formulas()
#: every formula, called with an operator's arguments and ``out_val``
FORMULAS = {
    **flop_counter.flop_registry,
    **{op: flop_counter.shape_wrapper(formula)
       for op, formula in EXTRA_FORMULAS.items()}
}


class StepFlopCounter:
    """Counts the FLOPs of whatever runs between :meth:`start` and
    :meth:`stop` (forward, backward, on any thread of autograd), except
    inside an optimizer's ``step``: its element-wise updates count nothing,
    and left under the counter each of them would go through Python (a
    counted fine-tuning step of the digits ViT: 206 ms with them, 161 ms
    without, 72 ms uncounted; best of 8 on a 2-core AMD EPYC, under
    PyTorch's ``FlopCounterMode``). The counter stops at every
    ``Optimizer.step`` and starts again after it (PyTorch's global
    optimizer step hooks), adding up the spans.

    Example:
        >>> counter = StepFlopCounter()
        >>> counter.start()
        >>> loss = model(x).sum(); loss.backward()
        >>> flops = counter.stop()
    """

    def __init__(self) -> None:
        self._mode: Optional[FormulaCounterMode] = None
        self._counts: Optional[Counter] = None
        self._hooks: list = []
        #: FLOPs per operator name of the last counted span (e.g.
        #: ``'aten.mm'``), filled by :meth:`stop`
        self.op_flops: Dict[str, int] = {}

    @property
    def running(self) -> bool:
        return self._counts is not None

    def start(self) -> None:
        if self.running:
            raise RuntimeError('StepFlopCounter is already counting.')
        self._counts = Counter()
        self._hooks = [
            register_optimizer_step_pre_hook(self._optimizer_step_begins),
            register_optimizer_step_post_hook(self._optimizer_step_ended)]
        self._begin_span()

    def stop(self) -> int:
        if not self.running:
            raise RuntimeError('StepFlopCounter.stop() without start().')
        self._end_span()
        for hook in self._hooks:
            hook.remove()
        self._hooks = []
        counts, self._counts = self._counts, None
        self.op_flops = dict(counts)
        return sum(counts.values())

    def _begin_span(self) -> None:
        self._mode = FormulaCounterMode(FORMULAS)
        self._mode.__enter__()

    def _end_span(self) -> None:
        if self._mode is None:  # stopped inside an optimizer step
            return
        mode, self._mode = self._mode, None
        mode.__exit__(None, None, None)
        for op, count in mode.counts.items():
            self._counts[str(op)] += int(count)

    def _optimizer_step_begins(self, optimizer, args, kwargs) -> None:
        self._end_span()

    def _optimizer_step_ended(self, optimizer, args, kwargs) -> None:
        # the hooks exist only while counting
        if self._mode is None:
            self._begin_span()


def batch_size_of(data_batch) -> int:
    """The number of samples in an OpenMMLab data batch (``inputs`` a list
    or a stacked tensor, or ``data_samples``)."""
    if isinstance(data_batch, dict):
        for key in ('inputs', 'data_samples'):
            value = data_batch.get(key)
            if isinstance(value, torch.Tensor):
                return int(value.shape[0])
            if isinstance(value, (list, tuple)):
                return len(value)
    if isinstance(data_batch, (list, tuple)):
        return len(data_batch)
    raise TypeError(
        f'Cannot tell the batch size of a {type(data_batch).__name__}; '
        'expected a dict with "inputs" or "data_samples".')
