"""How Deep Incubation reaches into mmpretrain's VisionTransformer."""
import copy
from typing import Any, Tuple

import torch
from torch import nn

from mmincubate.registry import INCUBATION_ADAPTERS


@INCUBATION_ADAPTERS.register_module()
class MMPretrainViTAdapter:
    """Adapter for mmpretrain ``VisionTransformer`` and its subclasses (DeiT,
    distilled DeiT).

    An adapter is everything the incubation algorithm knows about a
    backbone: how to embed an image into tokens, where the blocks are, how
    the final norm turns tokens into features, how to derive a shallower
    config, and how to set a block's drop-path rate. Another block-structured
    backbone is incubated by registering an adapter with the same methods and
    setting ``adapter=dict(type='MyAdapter')`` in the model config.

    Example:
        >>> model = dict(type='DeepIncubation',
        ...              adapter=dict(type='MMPretrainViTAdapter'), ...)
    """

    #: attribute holding the blocks (an ``nn.ModuleList``)
    blocks_attr = 'layers'
    #: backbone attributes applied after the last block (owned by the last
    #: module); every other backbone parameter belongs to the embedding
    #: (owned by module 0)
    final_attrs = ('ln1', 'ln2')

    # ---- configs -----------------------------------------------------
    def arch_settings(self, backbone_cfg: dict) -> dict:
        """The architecture dict (embed_dims, num_layers, ...) of a config."""
        from mmpretrain.models import VisionTransformer  # noqa: F401
        from mmpretrain.registry import MODELS
        arch = backbone_cfg.get('arch', 'base')
        if isinstance(arch, str):
            backbone_cls = MODELS.get(backbone_cfg['type'])
            if backbone_cls is None:
                raise KeyError(
                    f'Unknown backbone type {backbone_cfg["type"]!r}.')
            zoo = getattr(backbone_cls, 'arch_zoo', {})
            if arch.lower() not in zoo:
                raise KeyError(f'Unknown {backbone_cfg["type"]} arch {arch!r};'
                               f' choose from {sorted(zoo)}.')
            return dict(zoo[arch.lower()])
        return dict(arch)

    def num_blocks(self, backbone_cfg: dict) -> int:
        return int(self.arch_settings(backbone_cfg)['num_layers'])

    def shallow_cfg(self, backbone_cfg: dict, num_blocks: int) -> dict:
        """The same backbone config with ``num_blocks`` blocks."""
        cfg = copy.deepcopy(dict(backbone_cfg))
        arch = self.arch_settings(cfg)
        arch['num_layers'] = num_blocks
        cfg['arch'] = arch
        cfg.pop('init_cfg', None)
        cfg.pop('out_indices', None)  # the last block
        return cfg

    # ---- modules -----------------------------------------------------
    def blocks(self, backbone: nn.Module) -> nn.ModuleList:
        return getattr(backbone, self.blocks_attr)

    def embed(self, backbone: nn.Module,
              inputs: torch.Tensor) -> Tuple[torch.Tensor, Any]:
        """Image -> tokens entering the first block, plus context
        (the patch resolution) that :meth:`finalize` needs."""
        from mmpretrain.models.utils import resize_pos_embed
        batch = inputs.shape[0]
        x, patch_resolution = backbone.patch_embed(inputs)
        extra = []
        if getattr(backbone, 'cls_token', None) is not None:
            extra.append(backbone.cls_token.expand(batch, -1, -1))
        if getattr(backbone, 'dist_token', None) is not None:
            extra.append(backbone.dist_token.expand(batch, -1, -1))
        if extra:
            x = torch.cat([*extra, x], dim=1)
        x = x + resize_pos_embed(
            backbone.pos_embed,
            backbone.patch_resolution,
            patch_resolution,
            mode=backbone.interpolate_mode,
            num_extra_tokens=backbone.num_extra_tokens)
        x = backbone.drop_after_pos(x)
        x = backbone.pre_norm(x)
        return x, patch_resolution

    def finalize(self, backbone: nn.Module, tokens: torch.Tensor,
                 context: Any) -> tuple:
        """Tokens after the last block -> the backbone's output tuple."""
        if backbone.final_norm:
            tokens = backbone.ln1(tokens)
        return (backbone._format_output(tokens, context), )

    @staticmethod
    def set_drop_path(block: nn.Module, rate: float) -> None:
        """Set the stochastic-depth rate of every DropPath inside a block."""
        for module in block.modules():
            if type(module).__name__ == 'DropPath' and hasattr(
                    module, 'drop_prob'):
                module.drop_prob = float(rate)
