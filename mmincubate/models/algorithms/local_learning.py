"""Locally supervised learning (DGL, InfoPro) of a split target."""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.model import BaseModel, ModuleDict
from torch import nn

from mmincubate.registry import MODELS
from .local_heads import (AUX_NETS, AuxiliaryClassifier, PatchDecoder,
                          Weight, check_local_weights)
from .module_split import module_key
from .phase_sources import check_finetune_source
from .phased_algorithm import PhasedAlgorithm, Validation
from .target_split import (TargetSplit, build_target,
                           load_classifier_weights)


@MODELS.register_module()
class LocalLearning(TargetSplit, PhasedAlgorithm, BaseModel):
    """The target split into K modules as :class:`DeepIncubation` splits it
    (the same adapter, ``num_modules`` or ``module_depths``; module 0 owns
    the embedding, the last module the final norm and head), each module
    trained on a local loss.

    In the ``local`` phase every module trains in the same step on the same
    batch: module i reads module i-1's output with the gradient stopped, so
    its gradients come from its own local loss alone. Module i < K-1 has an
    auxiliary classifier (``aux_net``: ``'linear'``, DGL's simplest form:
    norm, the target's token pooling, the target's head; ``'block'``: one
    transformer block of the target's width in front) and, where
    ``lambda_rec`` > 0, InfoPro's patch decoder; its loss is
    ``lambda_ce * CE + lambda_rec * MSE``. The last module's auxiliary
    network is the target's own final norm and head (CE alone). A weight
    given as ``(first, last)`` follows InfoPro's linear schedule over
    modules 0..K-2 (:func:`local_weight`). ``finetune`` trains the
    assembled target end to end, as incubation's fine-tuning does.

    Args:
        target: config of the target classifier (mmpretrain
            ``ImageClassifier``).
        num_modules, module_depths: the split (default K=4 equal parts).
        aux_net: ``'linear'`` or ``'block'``.
        lambda_ce: the auxiliary classifiers' weight (default 1: DGL).
        lambda_rec: the reconstruction's weight (default 0: no decoder).
        target_checkpoint: an assembled target to start from (e.g. to
            fine-tune only).
        adapter, data_preprocessor: as in :class:`DeepIncubation`.

    Example:
        >>> model = dict(type='LocalLearning', target=..., num_modules=4,
        ...              aux_net='linear',
        ...              lambda_ce=(0.0, 1.0), lambda_rec=(1.0, 0.0))
    """

    PHASES = ('local', 'finetune')
    MODULE_PHASES = ()
    #: the auxiliary networks sit outside the target: layer-wise lr decay
    #: treats them as heads (the target's last depth)
    outside_layer_decay = ('aux_heads.', 'decoders.')

    def __init__(self,
                 target: dict,
                 num_modules: Optional[int] = None,
                 module_depths: Optional[Sequence[int]] = None,
                 aux_net: str = 'linear',
                 lambda_ce: Weight = 1.0,
                 lambda_rec: Weight = 0.0,
                 target_checkpoint: Optional[str] = None,
                 adapter: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        target_cfg, target_model, adapter_obj, depths = build_target(
            target, num_modules, module_depths, adapter, data_preprocessor)
        if aux_net not in AUX_NETS:
            raise ValueError(f'aux_net={aux_net!r}: choose from {AUX_NETS}.')
        super().__init__(data_preprocessor=target_model.data_preprocessor,
                         init_cfg=init_cfg)
        self.adapter = adapter_obj
        self.target = target_model
        self.split_target(depths)
        self.lambda_ce, self.lambda_rec = check_local_weights(
            lambda_ce, lambda_rec, self.num_modules)
        self.aux_heads = ModuleDict({
            str(i): AuxiliaryClassifier(target_cfg, adapter_obj,
                                        AUX_NETS.index(aux_net))
            for i, w in enumerate(self.lambda_ce) if w > 0})
        if any(w > 0 for w in self.lambda_rec):
            layout = adapter_obj.patch_layout(target_model.backbone)
            width = _width(adapter_obj, target_model.backbone)
            self.decoders = ModuleDict({
                str(i): PatchDecoder(width, *layout)
                for i, w in enumerate(self.lambda_rec) if w > 0})
        else:
            self.decoders = ModuleDict()
        self.target_checkpoint = target_checkpoint
        self.phase = 'finetune'
        self.drop_path_rate = 0.0

    # ------------------------------------------------------------------
    # phases
    # ------------------------------------------------------------------
    def set_phase(self, phase: str, modules: Sequence[int] = (),
                  drop_path_rate: float = 0.0) -> None:
        """``local``: every module with its auxiliary networks trains;
        ``finetune``: the target. Drop path is spaced over the target's
        depth in both."""
        if phase not in self.PHASES:
            raise ValueError(
                f'Unknown phase {phase!r}; choose from {self.PHASES}.')
        self.phase = phase
        self.drop_path_rate = float(drop_path_rate)
        for param in self.parameters():
            param.requires_grad_(False)
        trained = [self.target] if phase == 'finetune' else \
            [self.target, self.aux_heads, self.decoders]
        for part in trained:
            for param in part.parameters():
                param.requires_grad_(True)
        blocks = self.adapter.blocks(self.target.backbone)
        for block, rate in zip(blocks, np.linspace(0, drop_path_rate,
                                                   len(blocks))):
            self.adapter.set_drop_path(block, rate)

    def stage_validations(self, phase: str,
                          modules: Sequence[int]) -> List[Validation]:
        """The target: ``assembled`` while training locally, ``final``
        while fine-tuning."""
        return [('assembled' if phase == 'local' else 'final', 'target')]

    def modules_finished_by(self, phase: str,
                            modules: Sequence[int]) -> Tuple[int, ...]:
        return tuple(range(self.num_modules)) if phase == 'local' else ()

    def local_parameters(self, index: int) -> List[nn.Parameter]:
        """Module ``index``'s target parameters and its auxiliary
        networks': what its local loss trains."""
        params = self.module_parameters(index)
        for part in (self.aux_heads, self.decoders):
            if str(index) in part:
                params += list(part[str(index)].parameters())
        return params

    def independent_groups(self) -> Dict[int, List[nn.Parameter]]:
        if self.phase != 'local':
            return {}
        return {i: self.local_parameters(i) for i in range(self.num_modules)}

    def phase_exports(self, phase: str, modules: Sequence[int],
                      assembled: bool, **meta) -> Dict[str, dict]:
        """``assembled.pth`` after ``local``, ``final.pth`` after
        ``finetune``: the target alone, a plain mmpretrain classifier."""
        from mmincubate.models.assembly import classifier_checkpoint
        role = 'final' if phase == 'finetune' else 'assembled'
        if phase == 'local' and not assembled:
            return {}
        return {f'{role}.pth': classifier_checkpoint(
            self.target.state_dict(), role=role, **meta)}

    @classmethod
    def check_schedule(cls, phases: Sequence[dict], num_modules: int,
                       model_cfg: dict, from_checkpoint: bool) -> None:
        """``finetune`` needs a ``local`` phase before it or
        ``model.target_checkpoint``."""
        if from_checkpoint:
            return
        check_finetune_source(
            phases, num_modules, model_cfg.get('target_checkpoint'),
            lambda p: range(num_modules) if p.get('phase') == 'local'
            else (), trained='trained locally')

    # ------------------------------------------------------------------
    # the local step
    # ------------------------------------------------------------------
    def local_losses(self, inputs: torch.Tensor, data_samples: list
                     ) -> Iterator[Tuple[int, Dict[str, torch.Tensor]]]:
        """``(i, losses)`` of every module in turn, the weighted terms
        keyed per module (``loss_ce_module{i}``, ``loss_rec_module{i}``).
        Module i > 0 reads module i-1's output detached."""
        backbone = self.target.backbone
        blocks = self.adapter.blocks(backbone)
        tokens, context = self.adapter.embed(backbone, inputs)
        for i, (begin, end) in enumerate(self.module_block_ranges):
            if i > 0:
                tokens = tokens.detach()
            for b in range(begin, end):
                tokens = blocks[b](tokens)
            yield i, self._module_losses(i, tokens, context, inputs,
                                         data_samples)

    def _module_losses(self, i: int, tokens: torch.Tensor, context,
                       inputs: torch.Tensor,
                       data_samples: list) -> Dict[str, torch.Tensor]:
        if i == self.num_modules - 1:
            feats = self.adapter.neck(self.target, self.adapter.finalize(
                self.target.backbone, tokens, context))
            return {module_key('loss_ce', i):
                    self.target.head.loss(feats, data_samples)['loss']}
        losses = {}
        if str(i) in self.aux_heads:
            ce = self.aux_heads[str(i)].loss(tokens, context,
                                             data_samples)['loss']
            losses[module_key('loss_ce', i)] = self.lambda_ce[i] * ce
        if str(i) in self.decoders:
            rec = self.decoders[str(i)].loss(tokens, inputs)
            losses[module_key('loss_rec', i)] = self.lambda_rec[i] * rec
        return losses

    # ------------------------------------------------------------------
    # BaseModel interface
    # ------------------------------------------------------------------
    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[list] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.target(inputs, data_samples, mode=mode)

    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict:
        if self.phase == 'finetune':
            return self.target.loss(inputs, data_samples)
        losses = {}
        for _, module_losses in self.local_losses(inputs, data_samples):
            losses.update(module_losses)
        return losses

    @contextmanager
    def evaluate_as(self, what) -> Iterator[None]:
        """Only the target is evaluated (``'target'``)."""
        if what != 'target':
            raise ValueError(f'LocalLearning evaluates the target only, '
                             f'not {what!r}.')
        yield

    def init_weights(self) -> None:
        super().init_weights()
        if self.target_checkpoint is not None:
            load_classifier_weights(self.target, self.target_checkpoint,
                                    'target')


def _width(adapter, backbone: nn.Module) -> int:
    """The token width, read from the first block's first norm or linear
    layer."""
    for module in adapter.blocks(backbone)[0].modules():
        if isinstance(module, nn.LayerNorm):
            return int(module.normalized_shape[0])
        if isinstance(module, nn.Linear):
            return int(module.in_features)
    raise TypeError('Cannot tell the token width of the target\'s blocks.')
