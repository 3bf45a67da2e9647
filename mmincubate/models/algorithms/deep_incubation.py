"""Deep Incubation (Ni, Wang et al., ICCV 2023) as an mmengine model."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.model import BaseModel
from torch import nn

from mmincubate.registry import MODELS
from .block_runtime import compile_blocks
from .hybrid_forward import HybridForward
from .module_split import PHASES, EvalTarget
from .per_hybrid_step import GradReducer, train_step_per_hybrid
from .phase_sources import check_meta_init, check_phase_sources
from .phased_algorithm import PhasedAlgorithm, Validation
from .target_split import (TargetSplit, build_meta, build_target,
                           load_classifier_weights)


@MODELS.register_module()
class DeepIncubation(HybridForward, TargetSplit, PhasedAlgorithm, BaseModel):
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
    ``'incubate'`` trains the listed modules (each module's gradient is that
    of its own hybrid alone; with several, one backward per hybrid, see
    ``per_hybrid_backward``), ``'finetune'`` trains the assembled target.
    It asks :meth:`module_parameters` for per-module gradient clipping and
    validates under :meth:`evaluate_as`.
    Everything backbone-specific comes from the adapter
    (:class:`~mmincubate.models.adapters.IncubationAdapter`).

    Args:
        target: config of the target classifier (mmpretrain
            ``ImageClassifier``; its backbone one an adapter handles).
        num_modules: K, for K equal parts (default 4). Exclusive with
            ``module_depths``.
        module_depths: explicit per-module depths summing to the depth.
        meta: config of the meta classifier. Defaults to the target with
            ``meta_blocks_per_module`` blocks per module.
        meta_checkpoint: weights of a trained meta model (an mmpretrain
            classifier checkpoint, or an mmincubate one) to start from.
        meta_init: ``'random'``: an ablation, incubation inside the meta
            model at its random initialisation (frozen, never trained or
            loaded); a schedule with a ``meta`` phase or a
            ``meta_checkpoint`` is then an error. None (default): the meta
            model is trained by a ``meta`` phase or loaded.
        target_checkpoint: weights of an assembled target to start from
            (e.g. to fine-tune only).
        adapter: the adapter config; by default the registered adapter of
            the target's backbone class.
        data_preprocessor: defaults to the target's.
        with_cp: recompute the target blocks' activations in the backward
            pass instead of storing them (incubation and fine-tuning; the
            same loss and gradients, less memory, about one more forward).
        per_hybrid_backward: with several modules incubating in one step,
            backpropagate each hybrid before the next one's forward
            (:func:`train_step_per_hybrid`: the same gradients, one hybrid's
            activations at a time). False: one backward of the summed
            losses, all K hybrids' activations alive together.
        meta_blocks_per_module: m, the meta model's blocks per module (1:
            the paper's). Module i replaces meta blocks ``m*i .. m*i+m-1``;
            a deeper meta model (m=2) is an ablation.

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
                 meta_init: Optional[str] = None,
                 target_checkpoint: Optional[str] = None,
                 adapter: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 with_cp: bool = False,
                 per_hybrid_backward: bool = True,
                 meta_blocks_per_module: int = 1,
                 init_cfg: Optional[dict] = None):
        target_cfg, target_model, adapter_obj, depths = build_target(
            target, num_modules, module_depths, adapter, data_preprocessor)
        per_module = int(meta_blocks_per_module)
        if per_module < 1:
            raise ValueError(f'meta_blocks_per_module={per_module}: give 1 '
                             '(the paper\'s meta model) or more.')
        meta_model = build_meta(meta, target, target_cfg, adapter_obj,
                                len(depths) * per_module)
        super().__init__(
            data_preprocessor=target_model.data_preprocessor,
            init_cfg=init_cfg)
        self.adapter = adapter_obj
        self.target = target_model
        self.meta = meta_model
        self.split_target(depths)
        self.meta_blocks_per_module = per_module
        meta_depth = len(self._blocks(self.meta))
        if meta_depth != self.num_modules * per_module:
            raise ValueError(
                f'The meta model has {meta_depth} blocks but the target is '
                f'split into {self.num_modules} modules with '
                f'meta_blocks_per_module={per_module}; it needs '
                f'{self.num_modules * per_module}.')
        check_meta_init(meta_init, meta_checkpoint)
        self.meta_checkpoint = meta_checkpoint
        self.meta_init = meta_init
        self.target_checkpoint = target_checkpoint
        self.phase = 'finetune'
        self.active_modules: Tuple[int, ...] = ()
        self.drop_path_rate = 0.0
        self._eval_target: EvalTarget = 'target'
        self.with_cp = bool(with_cp)
        self.per_hybrid_backward = bool(per_hybrid_backward)
        # the backbone's own switch, where it has one (target_loss)
        self._backbone_checkpoints = self.with_cp and \
            self.adapter.set_grad_checkpointing(self._backbone(self.target))

    def _backbone(self, classifier: nn.Module) -> nn.Module:
        return self.adapter.backbone_of(classifier)

    def _blocks(self, classifier: nn.Module) -> nn.ModuleList:
        return self.adapter.blocks(self._backbone(classifier))

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
        if phase == 'incubate':
            modules = self.check_modules(modules, 'The incubate phase')
        self.phase = phase
        self.active_modules = tuple(sorted(modules)) if phase == 'incubate' \
            else ()
        self.drop_path_rate = float(drop_path_rate)
        for param in self.parameters():
            param.requires_grad_(False)
        if phase == 'meta':
            for param in self.meta.parameters():
                param.requires_grad_(True)
            meta_blocks = self._blocks(self.meta)
            self._set_rates(meta_blocks,
                            np.linspace(0, drop_path_rate, len(meta_blocks)))
        elif phase == 'finetune':
            for param in self.target.parameters():
                param.requires_grad_(True)
            blocks = self._blocks(self.target)
            self._set_rates(blocks,
                            np.linspace(0, drop_path_rate, len(blocks)))
        else:
            for index in self.active_modules:
                for param in self.module_parameters(index):
                    param.requires_grad_(True)

    PHASES = PHASES
    MODULE_PHASES = ('incubate', )

    def stage_validations(self, phase: str,
                          modules: Sequence[int]) -> List[Validation]:
        """``meta``: the meta model; ``incubate``: each module's hybrid;
        ``finetune``: the target (tagged ``final``)."""
        if phase == 'meta':
            return [('meta', 'meta')]
        if phase == 'finetune':
            return [('final', 'target')]
        return [(f'hybrid{m}', ('hybrid', m)) for m in modules]

    def modules_finished_by(self, phase: str,
                            modules: Sequence[int]) -> Tuple[int, ...]:
        return tuple(modules) if phase == 'incubate' else ()

    def independent_groups(self) -> Dict[int, List[nn.Parameter]]:
        """Each incubating module's parameters (its own hybrid's loss
        alone reaches them)."""
        return {m: self.module_parameters(m) for m in self.active_modules}

    def phase_exports(self, phase: str, modules: Sequence[int],
                      assembled: bool, **meta) -> Dict[str, dict]:
        """``meta.pth`` after ``meta``; ``module_<i>.pth`` after module i's
        incubation, ``assembled.pth`` once all are; ``final.pth`` after
        ``finetune``."""
        from mmincubate.models.assembly import (classifier_checkpoint,
                                                module_checkpoint)
        if phase == 'meta':
            return {'meta.pth': classifier_checkpoint(
                self.meta.state_dict(), role='meta', **meta)}
        if phase == 'finetune':
            return {'final.pth': classifier_checkpoint(
                self.target.state_dict(), role='final', **meta)}
        files = {f'module_{i}.pth': module_checkpoint(self, i)
                 for i in modules}
        if assembled:
            files['assembled.pth'] = classifier_checkpoint(
                self.target.state_dict(), role='assembled', **meta)
        return files

    @classmethod
    def check_schedule(cls, phases: Sequence[dict], num_modules: int,
                       model_cfg: dict, from_checkpoint: bool) -> None:
        """A meta model for ``incubate`` (a ``meta`` phase before it,
        ``meta_checkpoint`` or ``meta_init='random'``), an assembled target
        for ``finetune`` (see :func:`check_phase_sources`)."""
        check_phase_sources(phases, num_modules,
                            model_cfg.get('meta_checkpoint'),
                            model_cfg.get('target_checkpoint'),
                            from_checkpoint, model_cfg.get('meta_init'))

    def compile_blocks(self, **compile_kwargs) -> int:
        """``torch.compile`` every target and meta block (regional: what
        composes the hybrids stays eager); each phase compiles its own
        variants on first use. The runner calls it for ``compile=True`` in a
        config; returns the number of compiled blocks."""
        return compile_blocks([*self._blocks(self.target),
                               *self._blocks(self.meta)], **compile_kwargs)

    def trainable_names(self) -> List[str]:
        return [n for n, p in self.named_parameters() if p.requires_grad]

    # ------------------------------------------------------------------
    # BaseModel interface
    # ------------------------------------------------------------------
    @property
    def steps_hybrid_by_hybrid(self) -> bool:
        """Whether :meth:`train_step` backpropagates hybrid by hybrid now
        (several modules incubating, ``per_hybrid_backward``)."""
        return (self.per_hybrid_backward and self.phase == 'incubate'
                and len(self.active_modules) > 1)

    def train_step(self, data, optim_wrapper,
                   grad_reducer: Optional[GradReducer] = None
                   ) -> Dict[str, torch.Tensor]:
        """mmengine's step, hybrid by hybrid when
        :attr:`steps_hybrid_by_hybrid` (several processes:
        :class:`PerHybridDistributedDataParallel` passes a
        ``grad_reducer``)."""
        if self.steps_hybrid_by_hybrid:
            return train_step_per_hybrid(self, data, optim_wrapper,
                                         grad_reducer)
        return super().train_step(data, optim_wrapper)

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
            return self.adapter.head_of(owner)(feats) if owner.with_head \
                else feats
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict:
        if self.phase == 'meta':
            return self.meta.loss(inputs, data_samples)
        if self.phase == 'finetune':
            return self.target_loss(inputs, data_samples)
        losses = {}
        for _, hybrid_losses in self.iter_hybrid_losses(inputs,
                                                        data_samples):
            losses.update(hybrid_losses)
        return losses

    # ---- weights -----------------------------------------------------
    def init_weights(self) -> None:
        super().init_weights()
        if self.meta_checkpoint is not None:
            self.load_classifier_weights(self.meta, self.meta_checkpoint,
                                         'meta')
        if self.target_checkpoint is not None:
            self.load_classifier_weights(self.target, self.target_checkpoint,
                                         'target')

    load_classifier_weights = staticmethod(load_classifier_weights)
