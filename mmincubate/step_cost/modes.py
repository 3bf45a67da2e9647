"""The training modes whose step cost ``benchmark_incubation.py`` measures,
and one training step of each.

Modes (K modules):

- ``e2e``: the target end to end (the fine-tuning phase; E2E training runs
  the same step);
- ``plain``: the same model, batch and AdamW in a plain PyTorch loop
  (stack, normalise, forward, cross entropy, backward, step): the reference
  for the framework's overhead;
- ``meta``: the meta model end to end;
- ``module{i}``: incubation of module i alone (one job per module);
- ``all``: incubation of all K modules in one step (one job), one
  backward per hybrid as training runs it;
- ``all-summed``: the same work with one backward of the summed losses
  (``per_hybrid_backward=False``: all K hybrids' activations alive at once);
- ``upstream{i}``: module i alone as the official code runs it: the frozen
  meta blocks behind the module (and the meta head) also compute weight
  gradients, which are thrown away.
"""
from typing import Callable, Dict, Iterator, List, Sequence

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from torch import nn

from mmincubate.engine.optimizers.per_module_grad_clip import \
    clip_groups_apart

FIXED_MODES = ('plain', 'e2e', 'meta', 'all')
PER_MODULE = ('module', 'upstream')


def all_modes(num_modules: int) -> List[str]:
    """Every mode, in report order (``all-summed``, a diagnostic, only when
    asked for)."""
    return ['plain', 'e2e', 'meta',
            *[f'module{i}' for i in range(num_modules)], 'all',
            *[f'upstream{i}' for i in range(num_modules)]]


def expand_modes(names: Sequence[str], num_modules: int) -> List[str]:
    """Mode names as given, ``modules`` / ``upstream`` standing for all K;
    unknown names raise with the valid ones."""
    valid = all_modes(num_modules)
    out: List[str] = []
    for name in names:
        if name in ('modules', 'upstream'):
            prefix = 'module' if name == 'modules' else 'upstream'
            out += [f'{prefix}{i}' for i in range(num_modules)]
        elif name in valid or name == 'all-summed':
            out.append(name)
        else:
            raise ValueError(
                f'Unknown mode {name!r}; choose from {valid}, "modules", '
                '"upstream" or "all-summed".')
    return list(dict.fromkeys(out))


def module_of(mode: str) -> int:
    """The module index of ``module{i}`` / ``upstream{i}``."""
    for prefix in PER_MODULE:
        if mode.startswith(prefix) and mode[len(prefix):].isdigit():
            return int(mode[len(prefix):])
    raise ValueError(f'{mode!r} is not a single-module mode.')


def _meta_tail(model: nn.Module, index: int) -> List[nn.Parameter]:
    """The meta parameters behind module ``index``: its blocks after
    ``index`` and, unless the module is the last, the final norm and head
    (embedding and prefix blocks run without autograd in any case)."""
    blocks = model._blocks(model.meta)
    in_block = {id(p): j for j, block in enumerate(blocks)
                for p in block.parameters()}
    last = model.num_modules - 1
    tail = []
    for name, param in model.meta.named_parameters():
        if id(param) in in_block:
            if in_block[id(param)] > index:
                tail.append(param)
        elif index < last and model.owner_of(name) == last:
            tail.append(param)
    return tail


def prepare_mode(model: nn.Module, mode: str,
                 drop_path_rate: float) -> Dict[str, list]:
    """Set the phase of ``mode`` on a :class:`DeepIncubation`; returns the
    parameters the optimizer updates (``'optimized'``) and those that only
    receive a gradient (``'discarded'``, the upstream modes' meta tail)."""
    k = model.num_modules
    discarded: List[nn.Parameter] = []
    if mode in ('e2e', 'plain'):
        model.set_phase('finetune', drop_path_rate=drop_path_rate)
    elif mode == 'meta':
        model.set_phase('meta', drop_path_rate=drop_path_rate)
    elif mode in ('all', 'all-summed'):
        model.set_phase('incubate', modules=range(k),
                        drop_path_rate=drop_path_rate)
    else:
        index = module_of(mode)
        model.set_phase('incubate', modules=[index],
                        drop_path_rate=drop_path_rate)
        if mode.startswith('upstream'):
            discarded = _meta_tail(model, index)
    optimized = [p for p in model.parameters() if p.requires_grad]
    for param in discarded:
        param.requires_grad_(True)
    return dict(optimized=optimized, discarded=discarded)


def module_groups(model: nn.Module,
                  optimized: Sequence[nn.Parameter]) -> Dict[int, list]:
    """Optimized parameters per incubated module (for per-module clips)."""
    selected = {id(p) for p in optimized}
    return {i: [p for p in model.module_parameters(i) if id(p) in selected]
            for i in getattr(model, 'active_modules', ())}


class FrameworkStep:
    """One mmincubate training step: the next batch, ``train_step`` (data
    preprocessor, forward, backward, clip, optimizer step, zero grad) and
    the log variables handed to the message hub as ``RuntimeInfoHook``
    does, one host synchronisation each."""

    def __init__(self, model: nn.Module, optim_wrapper,
                 batches: Iterator[dict],
                 discarded: Sequence[nn.Parameter] = ()) -> None:
        self.model = model
        self.optim_wrapper = optim_wrapper
        self.batches = batches
        self.discarded = list(discarded)
        self.hub = MessageHub.get_current_instance()

    def __call__(self) -> None:
        log_vars = self.model.train_step(next(self.batches),
                                         self.optim_wrapper)
        for key, value in log_vars.items():
            self.hub.update_scalar(f'train/{key}', value)
        for param in self.discarded:
            param.grad = None


class SummedBackwardStep(FrameworkStep):
    """:class:`FrameworkStep` with one backward of the summed losses of all
    hybrids (``per_hybrid_backward=False`` while it runs)."""

    def __call__(self) -> None:
        self.model.per_hybrid_backward = False
        try:
            super().__call__()
        finally:
            self.model.per_hybrid_backward = True


class PlainStep:
    """The same step in plain PyTorch over the target classifier: stack and
    normalise the images, ``classifier(x, mode='tensor')``, cross entropy,
    backward, (clip,) step, ``zero_grad(set_to_none=True)``, and the loss
    read back once as a training loop logs it."""

    def __init__(self, classifier: nn.Module, preprocessor: nn.Module,
                 optimizer: torch.optim.Optimizer, batches: Iterator[dict],
                 amp: bool = False, clip_grad: float = 0.0) -> None:
        self.classifier = classifier
        self.optimizer = optimizer
        self.batches = batches
        self.amp = amp
        self.clip_grad = clip_grad
        self.params = [p for group in optimizer.param_groups
                       for p in group['params']]
        self.device = next(classifier.parameters()).device
        self.mean = preprocessor.mean.to(self.device)
        self.std = preprocessor.std.to(self.device)
        self.to_rgb = bool(getattr(preprocessor, '_channel_conversion', False))

    def _inputs(self, data: dict) -> tuple:
        images = data['inputs']
        if isinstance(images, (list, tuple)):
            images = torch.stack(list(images))
        images = images.to(self.device, non_blocking=True)
        if self.to_rgb:
            images = images[:, [2, 1, 0]]
        images = (images.float() - self.mean) / self.std
        labels = torch.cat([s.gt_label for s in data['data_samples']])
        return images, labels.to(self.device, non_blocking=True)

    def __call__(self) -> None:
        images, labels = self._inputs(next(self.batches))
        with torch.autocast(self.device.type, dtype=torch.bfloat16,
                            enabled=self.amp):
            loss = F.cross_entropy(
                self.classifier(images, mode='tensor'), labels)
        loss.backward()
        if self.clip_grad:
            nn.utils.clip_grad_norm_(self.params, self.clip_grad)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        loss.item()


def build_step(model: nn.Module, mode: str, params: Dict[str, list],
               batches: Iterator[dict], optimizer_cfg: dict,
               amp: bool = False, clip_grad: float = 0.0) -> Callable:
    """The step of ``mode`` with a fresh AdamW over ``params['optimized']``
    (the same arguments for the framework and the plain loop)."""
    from mmengine.optim import OptimWrapper

    from mmincubate.engine.optimizers import BF16AutocastOptimWrapper
    optimizer = torch.optim.AdamW(params['optimized'], **optimizer_cfg)
    if mode == 'plain':
        return PlainStep(model.target, model.data_preprocessor, optimizer,
                         batches, amp=amp, clip_grad=clip_grad)
    wrapper_type = BF16AutocastOptimWrapper if amp else OptimWrapper
    clip = dict(max_norm=clip_grad) if clip_grad else None
    wrapper = wrapper_type(optimizer=optimizer, clip_grad=clip)
    groups = module_groups(model, params['optimized'])
    clip_groups_apart(wrapper, groups)  # what the incubation loop does
    if mode == 'all-summed':
        return SummedBackwardStep(model, wrapper, batches)
    return FrameworkStep(model, wrapper, batches, params['discarded'])
