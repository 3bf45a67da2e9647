"""The hybrids of Deep Incubation: module i inside the meta model, its
drop-path rates spaced over the hybrid's depth, the shared frozen meta
prefix run once per batch without autograd; and what a validation runs:
the meta model, the target or one hybrid."""
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .block_runtime import checkpointed_features, run_block
from .meta_prefix import meta_prefixes
from .module_split import EvalTarget, module_key


class HybridForward:
    """The hybrid forward of :class:`DeepIncubation` (which sets
    ``adapter``, ``target``, ``meta``, ``num_modules``, ``module_depths``,
    ``module_block_ranges``, ``meta_blocks_per_module``, ``drop_path_rate``,
    ``with_cp``, ``_backbone_checkpoints``, ``active_modules``,
    ``_eval_target`` and provides ``_backbone``, ``_blocks`` and
    ``check_modules``)."""

    def _set_rates(self, blocks: Sequence[nn.Module],
                   rates: Sequence[float]) -> None:
        for block, rate in zip(blocks, rates):
            self.adapter.set_drop_path(block, rate)

    def hybrid_rates(self, index: int) -> np.ndarray:
        """Drop-path rates of hybrid ``index``, spaced over its depth."""
        depth = (self.num_modules - 1) * self.meta_blocks_per_module + \
            self.module_depths[index]
        return np.linspace(0, self.drop_path_rate, depth)

    def _hybrid_tail(self, index: int, tokens: torch.Tensor,
                     context) -> Tuple[tuple, nn.Module]:
        """Module ``index`` and the meta blocks behind it; returns the
        features and the classifier whose neck/head finishes the hybrid."""
        rates = self.hybrid_rates(index)
        begin, end = self.module_block_ranges[index]
        target_blocks = self._blocks(self.target)
        meta_blocks = self._blocks(self.meta)
        per_module = self.meta_blocks_per_module
        position = index * per_module
        for b in range(begin, end):
            self.adapter.set_drop_path(target_blocks[b], rates[position])
            tokens = run_block(target_blocks[b], tokens, self.with_cp)
            position += 1
        for j in range((index + 1) * per_module, len(meta_blocks)):
            self.adapter.set_drop_path(meta_blocks[j], rates[position])
            tokens = meta_blocks[j](tokens)
            position += 1
        last = index == self.num_modules - 1
        owner = self.target if last else self.meta
        feats = self.adapter.finalize(self._backbone(owner), tokens, context)
        return self.adapter.neck(owner, feats), owner

    def iter_hybrids(self, inputs: torch.Tensor, modules: Sequence[int]
                     ) -> Iterator[Tuple[int, tuple, nn.Module]]:
        """``(i, features, owner)`` of the hybrids of ``modules``, one at a
        time. The shared meta prefix runs once, before the first; each
        hybrid's own blocks run when it is asked for, so a caller that
        backpropagates one hybrid before asking for the next holds one
        hybrid's activations at a time (:func:`train_step_per_hybrid`)."""
        prefixes = meta_prefixes(
            self.adapter, self._backbone(self.meta), inputs,
            {i: self.hybrid_rates(i)[:i * self.meta_blocks_per_module]
             for i in modules if i > 0})
        for i in modules:
            if i == 0:
                tokens, context = self.adapter.embed(
                    self._backbone(self.target), inputs)
            else:
                tokens, context = prefixes.pop(i)
            yield (i, *self._hybrid_tail(i, tokens, context))

    def hybrid_features(self, inputs: torch.Tensor, modules: Sequence[int]
                        ) -> Dict[int, Tuple[tuple, nn.Module]]:
        """Features of the hybrids of ``modules`` for one batch."""
        return {i: (feats, owner)
                for i, feats, owner in self.iter_hybrids(inputs, modules)}

    def iter_hybrid_losses(self, inputs: torch.Tensor, data_samples: list
                           ) -> Iterator[Tuple[int, Dict[str, torch.Tensor]]]:
        """``(i, losses)`` of every incubated module's hybrid in turn, the
        keys per module (``loss_module{i}``), computed as they are asked
        for (:meth:`iter_hybrids`)."""
        for i, feats, owner in self.iter_hybrids(inputs,
                                                 self.active_modules):
            losses = self.adapter.head_of(owner).loss(feats, data_samples)
            yield i, {module_key(key, i): value
                      for key, value in losses.items()}

    def target_loss(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """The whole target's loss (fine-tuning); with ``with_cp`` its
        blocks recompute their activations in the backward pass, through
        the backbone's own switch or else called one by one here."""
        if self.with_cp and not self._backbone_checkpoints:
            feats = checkpointed_features(self.adapter, self.target, inputs)
            return self.adapter.head_of(self.target).loss(feats,
                                                          data_samples)
        return self.target.loss(inputs, data_samples)

    @contextmanager
    def evaluate_as(self, what: EvalTarget) -> Iterator[None]:
        """Within the block, ``predict`` and ``forward(mode='tensor')`` run
        ``'meta'``, ``'target'`` or ``('hybrid', i)``.

        Example:
            >>> with model.evaluate_as(('hybrid', 2)):
            ...     metrics = runner.val_loop.run()
        """
        if isinstance(what, (tuple, list)) and len(what) == 2 and \
                what[0] == 'hybrid':
            what = ('hybrid', self.check_modules([what[1]], 'evaluate_as')[0])
        elif what not in ('meta', 'target'):
            raise ValueError(f'Cannot evaluate {what!r}; use "meta", '
                             '"target" or ("hybrid", i).')
        previous, self._eval_target = self._eval_target, what
        try:
            yield
        finally:
            self._eval_target = previous

    def _eval_features(self, inputs: torch.Tensor) -> Tuple[tuple, nn.Module]:
        what = self._eval_target
        if what == 'meta':
            return self.meta.extract_feat(inputs), self.meta
        if what == 'target':
            return self.target.extract_feat(inputs), self.target
        return self.hybrid_features(inputs, [what[1]])[what[1]]

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[list] = None) -> list:
        feats, owner = self._eval_features(inputs)
        return self.adapter.head_of(owner).predict(feats, data_samples)
