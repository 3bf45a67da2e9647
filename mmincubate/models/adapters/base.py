"""The contract between Deep Incubation and a block-structured backbone."""
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, Optional, Tuple, Type

import torch
from torch import nn

from mmincubate.registry import INCUBATION_ADAPTERS

#: what a backbone parameter belongs to (see :meth:`part_of`)
EMBED, BLOCK, FINAL = 'embed', 'block', 'final'


class IncubationAdapter(metaclass=ABCMeta):
    """Everything mmincubate knows about one family of backbones.

    The algorithm, the layer-decay optimizer constructor and the transfer
    backbone ask an adapter instead of reading a backbone's attribute or
    parameter names, so a new backbone is an adapter plus a config:

    - configs: :meth:`shallow_cfg` (the meta model's backbone: the same one
      with one block per module);
    - modules: :meth:`blocks`, :meth:`embed` (image -> tokens entering the
      first block), :meth:`finalize` (tokens after the last block -> the
      features the classifier's neck/head take), :meth:`set_drop_path`,
      :meth:`patch_layout` (for a local reconstruction loss);
    - names: :meth:`part_of` a parameter (embedding: owned by module 0; block
      N; final: owned by the last module), from which :meth:`layer_id` (layer
      decay) follows;
    - the classifier around the backbone (mmpretrain's ``ImageClassifier``
      by default): :meth:`backbone_of`, :meth:`neck`, :meth:`head_of`.

    Subclasses set :attr:`backbone_class` (the most derived match wins in
    :func:`find_adapter`) and register in ``INCUBATION_ADAPTERS``.

    Example:
        >>> @INCUBATION_ADAPTERS.register_module()
        ... class MyAdapter(IncubationAdapter):
        ...     backbone_class = 'mypkg.MyBackbone'
        ...     ...
        >>> model = dict(type='DeepIncubation', adapter=dict(type='MyAdapter'),
        ...              target=...)
    """

    #: the backbone class handled, as 'module.Class' (imported lazily)
    backbone_class: str = ''

    # ---- configs -----------------------------------------------------
    @abstractmethod
    def shallow_cfg(self, backbone_cfg: dict, num_blocks: int) -> dict:
        """The same backbone config with ``num_blocks`` blocks."""

    # ---- modules -----------------------------------------------------
    @abstractmethod
    def blocks(self, backbone: nn.Module) -> nn.ModuleList:
        """The blocks, in order."""

    @abstractmethod
    def embed(self, backbone: nn.Module,
              inputs: torch.Tensor) -> Tuple[torch.Tensor, Any]:
        """Image -> (tokens entering the first block, context for
        :meth:`finalize`)."""

    @abstractmethod
    def finalize(self, backbone: nn.Module, tokens: torch.Tensor,
                 context: Any) -> tuple:
        """Tokens after the last block -> the backbone's output tuple."""

    def patch_layout(self, backbone: nn.Module) -> Tuple[int, int, int]:
        """``(patch size, image channels, prefix tokens)``: the tokens
        after the prefix (cls, register tokens) are the image's patches in
        row-major order (what a reconstruction decoder maps back)."""
        raise NotImplementedError(
            f'{type(self).__name__} does not give the patch layout of '
            f'{type(backbone).__name__}, which a reconstruction loss needs; '
            'implement patch_layout() in the adapter or set lambda_rec=0.')

    @staticmethod
    def set_drop_path(block: nn.Module, rate: float) -> None:
        """Set the stochastic-depth rate of every DropPath in a block
        (mmcv's and timm's keep it in ``drop_prob``)."""
        for module in block.modules():
            if type(module).__name__ == 'DropPath' and hasattr(
                    module, 'drop_prob'):
                module.drop_prob = float(rate)

    def set_grad_checkpointing(self, backbone: nn.Module,
                               enable: bool = True) -> bool:
        """Let the backbone recompute its blocks' activations in the
        backward pass of its own forward, through its own switch: timm's
        ``set_grad_checkpointing`` or OpenMMLab's ``with_cp``. Returns
        False where the backbone has neither; the algorithm then
        checkpoints the blocks as it calls them (:func:`run_block`)."""
        if callable(getattr(backbone, 'set_grad_checkpointing', None)):
            backbone.set_grad_checkpointing(enable)
            return True
        if hasattr(backbone, 'with_cp'):
            backbone.with_cp = bool(enable)
            return True
        return False

    # ---- names (relative to the backbone) ----------------------------
    @abstractmethod
    def part_of(self, key: str) -> Tuple[str, Optional[int]]:
        """What a backbone parameter or buffer belongs to: ``(EMBED, None)``,
        ``(BLOCK, index)`` or ``(FINAL, None)``."""

    def never_used(self, key: str) -> bool:
        """Whether the backbone's forward never uses this parameter (it
        gets no gradient; :func:`freeze_never_used` freezes it so DDP wraps
        only what trains)."""
        return False

    def layer_id(self, key: str, num_blocks: int) -> int:
        """Layer-decay depth: 0 the embedding, N + 1 block N, L + 1 the
        final norm."""
        part, index = self.part_of(key)
        if part == BLOCK:
            return int(index) + 1
        return 0 if part == EMBED else num_blocks + 1

    # ---- the classifier around the backbone --------------------------
    @staticmethod
    def backbone_key(classifier_key: str) -> Optional[str]:
        """``backbone.x`` -> ``x``; None for the neck and head."""
        prefix = 'backbone.'
        if classifier_key.startswith(prefix):
            return classifier_key[len(prefix):]
        return None

    @staticmethod
    def backbone_of(classifier: nn.Module) -> nn.Module:
        return classifier.backbone

    @staticmethod
    def neck(classifier: nn.Module, feats: tuple) -> tuple:
        """The classifier's neck (if any) on backbone features."""
        return classifier.neck(feats) if classifier.with_neck else feats

    @staticmethod
    def head_of(classifier: nn.Module) -> nn.Module:
        return classifier.head

    # ---- lookup ------------------------------------------------------
    @classmethod
    def handled_class(cls) -> Optional[Type[nn.Module]]:
        """The backbone class, or None if its package is not installed."""
        module_name, _, class_name = cls.backbone_class.rpartition('.')
        try:
            module = __import__(module_name, fromlist=[class_name])
        except ImportError:
            return None
        return getattr(module, class_name, None)

    def accepts(self, backbone: nn.Module) -> bool:
        """A finer check than the class (e.g. what a wrapper wraps)."""
        return True


def find_adapter(backbone: nn.Module) -> Optional[IncubationAdapter]:
    """The registered adapter for a backbone module: the one whose
    :attr:`~IncubationAdapter.backbone_class` is the most derived base of
    the backbone's class; None if no adapter handles it."""
    mro = type(backbone).__mro__
    best, best_rank = None, len(mro)
    for adapter_cls in INCUBATION_ADAPTERS.module_dict.values():
        handled = adapter_cls.handled_class()
        if handled is None or handled not in mro or \
                mro.index(handled) >= best_rank:
            continue
        adapter = adapter_cls()
        if adapter.accepts(backbone):
            best, best_rank = adapter, mro.index(handled)
    return best


def adapter_for(backbone: nn.Module) -> IncubationAdapter:
    """:func:`find_adapter`, or an error naming the fix."""
    adapter = find_adapter(backbone)
    if adapter is None:
        raise TypeError(
            f'No incubation adapter handles the backbone '
            f'{type(backbone).__name__}; adapters exist for '
            f'{sorted(INCUBATION_ADAPTERS.module_dict)}. Register an '
            'IncubationAdapter subclass for it (see '
            'mmincubate/models/adapters/base.py) and set model.adapter.')
    return adapter


def find_backbones(module: nn.Module) -> Dict[str, IncubationAdapter]:
    """Every backbone inside ``module`` that an adapter handles, by its name
    prefix (``''`` when ``module`` is one, ``'target.backbone.'``, ...);
    what is inside a backbone is not searched again."""
    found: Dict[str, IncubationAdapter] = {}
    for name, sub in module.named_modules():
        prefix = f'{name}.' if name else ''
        if any(prefix.startswith(p) for p in found):
            continue
        adapter = find_adapter(sub)
        if adapter is not None:
            found[prefix] = adapter
    return found


def freeze_never_used(module: nn.Module) -> int:
    """Freeze the parameters that backbones in ``module`` never use (see
    :meth:`IncubationAdapter.never_used`); returns how many."""
    backbones = find_backbones(module)
    frozen = 0
    for name, param in module.named_parameters():
        for prefix, adapter in backbones.items():
            if name.startswith(prefix) and param.requires_grad and \
                    adapter.never_used(name[len(prefix):]):
                param.requires_grad_(False)
                frozen += 1
    return frozen
