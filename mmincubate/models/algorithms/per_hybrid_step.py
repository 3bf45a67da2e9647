"""One training step of several incubated modules, a backward per hybrid.

The hybrids of the modules that train together share no trainable
parameter, so the gradient of their summed loss is, for each module, the
gradient of its own hybrid's loss. Backpropagating every hybrid before the
next one's forward gives the same gradients (bitwise: each parameter
receives exactly one gradient, drop path draws its masks in the same order)
while only one hybrid's activations are alive at a time: less memory, and
on a CPU less time (``benchmark_incubation.py --modes all all-summed``).
"""
from typing import Dict, Optional, Protocol, Sequence

import torch
from mmengine.optim import OptimWrapper
from torch import nn


class GradReducer(Protocol):
    """Averages gradients over processes: ``launch`` as soon as a module's
    gradients are final, ``wait`` before the optimizer step."""

    def launch(self, params: Sequence[nn.Parameter]) -> None:
        ...

    def wait(self) -> None:
        ...


def _backward_uncounted(optim_wrapper: OptimWrapper,
                        loss: torch.Tensor) -> None:
    """``optim_wrapper.backward`` without counting a step: an fp16 wrapper's
    loss scaler scales the loss as it does there."""
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    (scaler.scale(loss) if scaler is not None else loss).backward()


def train_step_per_hybrid(model: nn.Module, data: dict,
                          optim_wrapper: OptimWrapper,
                          grad_reducer: Optional[GradReducer] = None
                          ) -> Dict[str, torch.Tensor]:
    """mmengine's ``train_step`` for a :class:`DeepIncubation` incubating
    several modules: preprocess, then per hybrid forward (under the
    wrapper's context, e.g. autocast) and backward; the last backward
    counts the step for gradient accumulation, ``grad_reducer`` (several
    processes) averages each module's gradients once they are final, then
    the wrapper steps (clipping, per module where the loop set it) and zeroes
    the gradients when the accumulation is complete. Returns the log
    variables of the summed loss, as ``BaseModel.train_step`` does.

    Example:
        >>> model.set_phase('incubate', modules=[0, 1, 2, 3])
        >>> log_vars = train_step_per_hybrid(model, batch, optim_wrapper)
    """
    sync = grad_reducer is not None and optim_wrapper.should_sync()
    with optim_wrapper.optim_context(model):
        data = model.data_preprocessor(data, True)
    hybrids = model.iter_hybrid_losses(data['inputs'], data['data_samples'])
    last = model.active_modules[-1]
    logged: Dict[str, torch.Tensor] = {}
    while True:
        with optim_wrapper.optim_context(model):
            index, losses = next(hybrids, (None, None))
        if index is None:
            break
        loss, _ = model.parse_losses(losses)
        logged.update((k, v.detach()) for k, v in losses.items())
        loss = optim_wrapper.scale_loss(loss)
        if index == last:
            optim_wrapper.backward(loss)  # counts this step once
        else:
            _backward_uncounted(optim_wrapper, loss)
        if sync:
            grad_reducer.launch(model.module_parameters(index))
    if sync:
        grad_reducer.wait()
    if optim_wrapper.should_update():
        optim_wrapper.step()
        optim_wrapper.zero_grad()
    _, log_vars = model.parse_losses(logged)
    return log_vars
