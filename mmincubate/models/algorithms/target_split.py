"""The target's split into modules and which module owns which weight."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from mmincubate.registry import INCUBATION_ADAPTERS, MODELS
from mmincubate.utils.state_dict import load_state_dict_strict
from ..adapters import BLOCK, FINAL, adapter_for
from .module_split import (DEFAULT_NUM_MODULES, block_ranges,
                           check_module_indices, split_depth)


def build_target(target: dict, num_modules: Optional[int],
                 module_depths: Optional[Sequence[int]],
                 adapter: Optional[dict],
                 data_preprocessor: Optional[dict]) -> tuple:
    """``(target config, target classifier, adapter, per-module depths)``
    of a module-wise algorithm's arguments (K=4 equal parts by default)."""
    target_cfg = copy.deepcopy(dict(target))
    if data_preprocessor is not None:
        target_cfg['data_preprocessor'] = data_preprocessor
    target_model = MODELS.build(copy.deepcopy(target_cfg))
    adapter_obj = INCUBATION_ADAPTERS.build(adapter) if adapter else \
        adapter_for(target_model.backbone)
    depth = len(adapter_obj.blocks(target_model.backbone))
    if num_modules is None and module_depths is None:
        num_modules = DEFAULT_NUM_MODULES
    depths = split_depth(depth, num_modules, module_depths)
    return target_cfg, target_model, adapter_obj, depths


class TargetSplit:
    """Ownership of a target classifier split into consecutive modules:
    module 0 owns the embedding, the last module the final norm, neck and
    head, every block the module it falls in. Mixed into the module-wise
    algorithms, which set ``self.adapter`` and ``self.target`` and call
    :meth:`split_target`.

    Example:
        >>> model.split_target([2, 2, 2, 2])
        >>> model.owner_of('backbone.layers.3.ln1.weight')
        1
    """

    adapter: object
    target: nn.Module

    def split_target(self, depths: Sequence[int]) -> None:
        """Record the per-module depths (summing to the target's)."""
        self.module_depths = list(depths)
        self.num_modules = len(self.module_depths)
        self.module_block_ranges = block_ranges(self.module_depths)
        self._block_owner = {b: i for i, (begin, end) in
                             enumerate(self.module_block_ranges)
                             for b in range(begin, end)}

    def owner_of(self, target_key: str) -> int:
        """Index of the module that owns a target parameter or buffer name
        (relative to the target, e.g. ``backbone.layers.3.ln1.weight``)."""
        local = self.adapter.backbone_key(target_key)
        if local is None:
            return self.num_modules - 1  # neck and head
        part, block = self.adapter.part_of(local)
        if part == BLOCK:
            return self._block_owner[block]
        return self.num_modules - 1 if part == FINAL else 0

    def module_parameters(self, index: int) -> List[nn.Parameter]:
        """The target parameters module ``index`` owns."""
        self.check_modules([index])
        return [p for n, p in self.target.named_parameters()
                if self.owner_of(n) == index]

    def module_state_dict(self, index: int) -> Dict[str, torch.Tensor]:
        """The weights module ``index`` owns, in the target's naming."""
        self.check_modules([index])
        return {
            key: value.detach().clone()
            for key, value in self.target.state_dict().items()
            if self.owner_of(key) == index
        }

    def check_modules(self, modules: Sequence[int],
                      where: str = 'The module list') -> Tuple[int, ...]:
        """:func:`check_module_indices` against this model's K."""
        return check_module_indices(modules, self.num_modules, where)


def build_meta(meta: Optional[dict], target: dict, target_cfg: dict,
               adapter, num_blocks: int) -> nn.Module:
    """The meta classifier: ``meta`` when given, else the target's config
    with a backbone of ``num_blocks`` blocks at full width (the adapter's
    ``shallow_cfg``) and without the target's ``init_cfg``.

    Example:
        >>> meta = build_meta(None, target, target_cfg, adapter, 4)
    """
    if meta is None:
        meta = copy.deepcopy(dict(target))
        meta['backbone'] = adapter.shallow_cfg(target_cfg['backbone'],
                                               num_blocks)
        meta.pop('init_cfg', None)
    return MODELS.build(copy.deepcopy(dict(meta)))


def load_classifier_weights(classifier: nn.Module, filename: str,
                            role: str) -> None:
    """Strictly load a classifier checkpoint (``backbone.*``,
    ``head.*``; or an mmincubate checkpoint's ``<role>.*`` part)."""
    load_state_dict_strict(
        classifier, filename, prefixes=(f'{role}.', ''),
        ignore=('data_preprocessor.', ),  # buffers, not weights
        what=f'{role} checkpoint "{filename}" for the {role} model',
        hint='Check that the config (width, depth, heads, patch size, '
        'classes) matches the checkpoint.',
        skip_shape_check=('pos_embed', ),
        wanted='meta' if role == 'meta' else 'target')
