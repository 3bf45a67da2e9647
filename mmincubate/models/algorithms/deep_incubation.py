"""Deep Incubation (Ni, Wang et al., ICCV 2023) as an mmengine model."""
import copy
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from torch import nn

from mmincubate.registry import INCUBATION_ADAPTERS, MODELS
from mmincubate.utils.checkpoint import get_state_dict, load_checkpoint_file
from mmincubate.utils.state_dict import (raise_on_mismatch,
                                         state_dict_mismatches)

PHASES = ('meta', 'incubate', 'finetune')
#: K when neither num_modules nor module_depths is given (the paper's)
DEFAULT_NUM_MODULES = 4


def split_depth(depth: int, num_modules: Optional[int],
                module_depths: Optional[Sequence[int]]) -> List[int]:
    """Per-module depths from K (equal parts) or from explicit depths."""
    if module_depths is not None:
        depths = [int(d) for d in module_depths]
        if num_modules is not None and num_modules != len(depths):
            raise ValueError(
                f'num_modules={num_modules} disagrees with module_depths='
                f'{depths} ({len(depths)} modules); give only one of them.')
        if any(d < 1 for d in depths):
            raise ValueError(f'module_depths={depths}: every module needs at '
                             'least one block.')
        if sum(depths) != depth:
            raise ValueError(
                f'module_depths={depths} sum to {sum(depths)}, but the target '
                f'has {depth} blocks; make them sum to {depth}.')
        return depths
    if num_modules is None:
        raise ValueError('Give num_modules (K, equal parts) or module_depths.')
    if num_modules < 1 or depth % num_modules:
        raise ValueError(
            f'num_modules={num_modules} does not divide the target depth '
            f'{depth} into equal parts; choose a divisor of {depth} or pass '
            f'module_depths=[...] summing to {depth}.')
    return [depth // num_modules] * num_modules


@MODELS.register_module()
class DeepIncubation(BaseModel):
    """Deep Incubation of a block-structured image classifier.

    The target (depth D) is split into K consecutive modules. The meta model
    is the same classifier with one block per module (its own embedding,
    final norm and head). Module i is incubated inside the meta model in
    place of meta block i; only module i trains. Module 0 owns the target's
    embedding (patch embedding, cls token, position embedding); the last
    module owns its final norm and head. The target itself holds the modules,
    so after incubation it *is* the assembled model.

    The training loop (:class:`IncubationLoop`) switches the phase with
    :meth:`set_phase`: ``'meta'`` trains the meta model end to end,
    ``'incubate'`` trains the listed modules (their losses are summed; each
    module's gradient is that of its own hybrid alone), ``'finetune'`` trains
    the assembled target end to end.

    Args:
        target: config of the target classifier (mmpretrain
            ``ImageClassifier`` with a ``VisionTransformer`` backbone).
        num_modules: K, for K equal parts (default 4). Exclusive with
            ``module_depths``.
        module_depths: explicit per-module depths summing to the depth.
        meta: config of the meta classifier. Defaults to the target with one
            block per module.
        meta_checkpoint: weights of a trained meta model (an mmpretrain
            classifier checkpoint, or an mmincubate one) to start from.
        target_checkpoint: weights of an assembled target to start from
            (e.g. to fine-tune only).
        adapter: how to reach into the backbone.
        data_preprocessor: defaults to the target's.

    Example:
        >>> model = dict(
        ...     type='DeepIncubation',
        ...     target=dict(type='ImageClassifier',
        ...                 backbone=dict(type='VisionTransformer', arch='b'),
        ...                 head=dict(type='VisionTransformerClsHead',
        ...                           num_classes=1000, in_channels=768)),
        ...     num_modules=4)
    """

    def __init__(self,
                 target: dict,
                 num_modules: Optional[int] = None,
                 module_depths: Optional[Sequence[int]] = None,
                 meta: Optional[dict] = None,
                 meta_checkpoint: Optional[str] = None,
                 target_checkpoint: Optional[str] = None,
                 adapter: dict = dict(type='MMPretrainViTAdapter'),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        adapter_obj = INCUBATION_ADAPTERS.build(adapter)
        target_cfg = copy.deepcopy(dict(target))
        depth = adapter_obj.num_blocks(target_cfg['backbone'])
        if num_modules is None and module_depths is None:
            num_modules = DEFAULT_NUM_MODULES
        depths = split_depth(depth, num_modules, module_depths)
        if meta is None:
            meta = copy.deepcopy(target_cfg)
            meta['backbone'] = adapter_obj.shallow_cfg(target_cfg['backbone'],
                                                       len(depths))
            meta.pop('init_cfg', None)
        if data_preprocessor is not None:
            target_cfg['data_preprocessor'] = data_preprocessor
        target_model = MODELS.build(target_cfg)
        meta_model = MODELS.build(copy.deepcopy(dict(meta)))
        super().__init__(
            data_preprocessor=target_model.data_preprocessor,
            init_cfg=init_cfg)
        self.adapter = adapter_obj
        self.target = target_model
        self.meta = meta_model
        self.module_depths = depths
        self.num_modules = len(depths)
        meta_depth = len(self.adapter.blocks(self.meta.backbone))
        if meta_depth != self.num_modules:
            raise ValueError(
                f'The meta model has {meta_depth} blocks but the target is '
                f'split into {self.num_modules} modules; they must match.')
        self.meta_checkpoint = meta_checkpoint
        self.target_checkpoint = target_checkpoint
        starts = np.cumsum([0] + depths)
        self.module_block_ranges = [(int(starts[i]), int(starts[i + 1]))
                                    for i in range(self.num_modules)]
        self._block_owner = {}
        for i, (begin, end) in enumerate(self.module_block_ranges):
            for b in range(begin, end):
                self._block_owner[b] = i
        self.phase = 'finetune'
        self.active_modules: Tuple[int, ...] = ()
        self.drop_path_rate = 0.0
        #: what ``predict`` evaluates: 'meta', 'target' or ('hybrid', i)
        self.eval_target: Union[str, Tuple[str, int]] = 'target'

    # ------------------------------------------------------------------
    # ownership
    # ------------------------------------------------------------------
    def owner_of(self, target_key: str) -> int:
        """Index of the module that owns a target parameter or buffer name
        (relative to the target, e.g. ``backbone.layers.3.ln1.weight``)."""
        blocks_prefix = f'backbone.{self.adapter.blocks_attr}.'
        if target_key.startswith(blocks_prefix):
            block = int(target_key[len(blocks_prefix):].split('.')[0])
            return self._block_owner[block]
        if target_key.startswith('backbone.'):
            attr = target_key[len('backbone.'):].split('.')[0]
            if attr in self.adapter.final_attrs:
                return self.num_modules - 1
            return 0
        return self.num_modules - 1  # neck and head

    def module_state_dict(self, index: int) -> Dict[str, torch.Tensor]:
        """The weights module ``index`` owns, in the target's naming."""
        self._check_module_index(index)
        return {
            key: value.detach().clone()
            for key, value in self.target.state_dict().items()
            if self.owner_of(key) == index
        }

    def _check_module_index(self, index: int) -> None:
        if not isinstance(index, int) or not 0 <= index < self.num_modules:
            raise ValueError(
                f'Module index {index!r} is out of range: the target has '
                f'{self.num_modules} modules (0..{self.num_modules - 1}).')

    # ------------------------------------------------------------------
    # phases
    # ------------------------------------------------------------------
    def set_phase(self,
                  phase: str,
                  modules: Sequence[int] = (),
                  drop_path_rate: float = 0.0) -> None:
        """Select what trains: requires_grad and drop-path rates."""
        if phase not in PHASES:
            raise ValueError(
                f'Unknown phase {phase!r}; choose from {PHASES}.')
        modules = tuple(int(m) for m in modules)
        if phase == 'incubate':
            if not modules:
                raise ValueError('The incubate phase needs modules to train.')
            for m in modules:
                self._check_module_index(m)
            if len(set(modules)) != len(modules):
                raise ValueError(f'Modules {list(modules)} repeat an index.')
        self.phase = phase
        self.active_modules = tuple(sorted(modules)) if phase == 'incubate' \
            else ()
        self.drop_path_rate = float(drop_path_rate)
        for param in self.parameters():
            param.requires_grad_(False)
        if phase == 'meta':
            for param in self.meta.parameters():
                param.requires_grad_(True)
            self._set_rates(self.adapter.blocks(self.meta.backbone),
                            np.linspace(0, drop_path_rate, self.num_modules))
        elif phase == 'finetune':
            for param in self.target.parameters():
                param.requires_grad_(True)
            blocks = self.adapter.blocks(self.target.backbone)
            self._set_rates(blocks,
                            np.linspace(0, drop_path_rate, len(blocks)))
        else:
            active = set(self.active_modules)
            for name, param in self.target.named_parameters():
                if self.owner_of(name) in active:
                    param.requires_grad_(True)

    def _set_rates(self, blocks: Sequence[nn.Module],
                   rates: Sequence[float]) -> None:
        for block, rate in zip(blocks, rates):
            self.adapter.set_drop_path(block, rate)

    def hybrid_rates(self, index: int) -> np.ndarray:
        """Drop-path rates of hybrid ``index``, spaced over its depth."""
        depth = self.num_modules - 1 + self.module_depths[index]
        return np.linspace(0, self.drop_path_rate, depth)

    def trainable_names(self) -> List[str]:
        return [n for n, p in self.named_parameters() if p.requires_grad]

    # ------------------------------------------------------------------
    # hybrid forward
    # ------------------------------------------------------------------
    def _meta_prefixes(self, inputs: torch.Tensor,
                       modules: Sequence[int]) -> Dict[int, tuple]:
        """Tokens entering module i (i > 0) from the frozen meta prefix.

        Runs without autograd, once per batch: hybrids whose prefix blocks
        have the same drop-path rates (all of them for equal depths) share
        the computation.
        """
        needed = [i for i in modules if i > 0]
        if not needed:
            return {}
        meta_blocks = self.adapter.blocks(self.meta.backbone)
        out = {}
        with torch.no_grad():
            tokens, context = self.adapter.embed(self.meta.backbone, inputs)
            cache = {(): tokens}
            for i in needed:
                rates = self.hybrid_rates(i)
                key: tuple = ()
                for j in range(i):
                    next_key = key + (float(rates[j]), )
                    if next_key not in cache:
                        self.adapter.set_drop_path(meta_blocks[j], rates[j])
                        cache[next_key] = meta_blocks[j](cache[key])
                    key = next_key
                out[i] = (cache[key], context)
        return out

    def _hybrid_tail(self, index: int, tokens: torch.Tensor,
                     context) -> Tuple[tuple, nn.Module]:
        """Module ``index`` and the meta blocks behind it; returns the
        features and the classifier whose neck/head finishes the hybrid."""
        rates = self.hybrid_rates(index)
        begin, end = self.module_block_ranges[index]
        target_blocks = self.adapter.blocks(self.target.backbone)
        meta_blocks = self.adapter.blocks(self.meta.backbone)
        position = index
        for b in range(begin, end):
            self.adapter.set_drop_path(target_blocks[b], rates[position])
            tokens = target_blocks[b](tokens)
            position += 1
        for j in range(index + 1, self.num_modules):
            self.adapter.set_drop_path(meta_blocks[j], rates[position])
            tokens = meta_blocks[j](tokens)
            position += 1
        last = index == self.num_modules - 1
        owner = self.target if last else self.meta
        feats = self.adapter.finalize(owner.backbone, tokens, context)
        if owner.with_neck:
            feats = owner.neck(feats)
        return feats, owner

    def hybrid_features(self, inputs: torch.Tensor, modules: Sequence[int]
                        ) -> Dict[int, Tuple[tuple, nn.Module]]:
        """Features of the hybrids of ``modules`` for one batch."""
        prefixes = self._meta_prefixes(inputs, modules)
        result = {}
        for i in modules:
            if i == 0:
                tokens, context = self.adapter.embed(self.target.backbone,
                                                     inputs)
            else:
                tokens, context = prefixes[i]
            result[i] = self._hybrid_tail(i, tokens, context)
        return result

    # ------------------------------------------------------------------
    # BaseModel interface
    # ------------------------------------------------------------------
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            feats, owner = self._eval_features(inputs)
            return owner.head(feats) if owner.with_head else feats
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict:
        if self.phase == 'meta':
            return self.meta.loss(inputs, data_samples)
        if self.phase == 'finetune':
            return self.target.loss(inputs, data_samples)
        losses = {}
        for i, (feats, owner) in self.hybrid_features(
                inputs, self.active_modules).items():
            for key, value in owner.head.loss(feats, data_samples).items():
                losses[f'{key}_module{i}'] = value
        return losses

    def _eval_features(self, inputs: torch.Tensor) -> Tuple[tuple, nn.Module]:
        target = self.eval_target
        if target == 'meta':
            return self.meta.extract_feat(inputs), self.meta
        if target == 'target':
            return self.target.extract_feat(inputs), self.target
        if isinstance(target, (tuple, list)) and target[0] == 'hybrid':
            index = int(target[1])
            self._check_module_index(index)
            return self.hybrid_features(inputs, [index])[index]
        raise ValueError(f'Unknown eval_target {target!r}; use "meta", '
                         '"target" or ("hybrid", i).')

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[list] = None) -> list:
        feats, owner = self._eval_features(inputs)
        return owner.head.predict(feats, data_samples)

    # ------------------------------------------------------------------
    # weights
    # ------------------------------------------------------------------
    def init_weights(self) -> None:
        super().init_weights()
        if self.meta_checkpoint is not None:
            self.load_classifier_weights(self.meta, self.meta_checkpoint,
                                         'meta')
        if self.target_checkpoint is not None:
            self.load_classifier_weights(self.target, self.target_checkpoint,
                                         'target')

    @staticmethod
    def load_classifier_weights(classifier: nn.Module, filename: str,
                                role: str) -> None:
        """Strictly load a classifier checkpoint (``backbone.*``,
        ``head.*``; or an mmincubate checkpoint's ``<role>.*`` part)."""
        state = get_state_dict(
            load_checkpoint_file(filename, trust_mmengine=True), filename)
        prefix = f'{role}.'
        if any(k.startswith(prefix) for k in state):
            state = {
                k[len(prefix):]: v
                for k, v in state.items() if k.startswith(prefix)
            }
        state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
        # data preprocessor buffers are not weights
        state = {
            k: v
            for k, v in state.items() if not k.startswith('data_preprocessor.')
        }
        raise_on_mismatch(
            state_dict_mismatches(classifier.state_dict(), state,
                                  skip_shape_check=('pos_embed', )),
            f'{role} checkpoint "{filename}" for the {role} model',
            'Check that the config (width, depth, heads, patch size, '
            'classes) matches the checkpoint.')
        classifier.load_state_dict(state, strict=True)
