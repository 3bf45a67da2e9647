"""How Deep Incubation reaches into a timm ViT inside mmpretrain's
``TIMMBackbone``."""
import copy
from typing import Any, Optional, Tuple

import torch
from torch import nn

from mmincubate.registry import INCUBATION_ADAPTERS
from .base import BLOCK, EMBED, FINAL, IncubationAdapter


@INCUBATION_ADAPTERS.register_module()
class TimmViTAdapter(IncubationAdapter):
    """Any timm ``VisionTransformer`` (ViT, DeiT3, register-token variants
    such as ``*_reg4_*``) built by mmpretrain's ``TIMMBackbone``.

    ``TIMMBackbone`` removes timm's pooling and head, so the backbone
    returns every token after the final norm (``norm``, or ``fc_norm`` per
    token for average-pool models); the classifier pools them with a neck
    such as ``mmincubate.TokenPoolNeck``. Blocks are
    ``timm_model.blocks.N``; ``norm``, ``fc_norm``, ``attn_pool`` and
    ``head`` belong to the last module, everything else (patch embedding,
    cls and register tokens, position embedding, ``norm_pre``) to module 0.
    The meta model's backbone is the same timm model with ``depth=K``.

    Example:
        >>> backbone = dict(type='TIMMBackbone',
        ...                 model_name='vit_small_patch16_224', depth=12)
    """

    backbone_class = 'mmpretrain.models.TIMMBackbone'
    final_attrs = ('norm', 'fc_norm', 'attn_pool', 'head', 'head_drop')

    def accepts(self, backbone: nn.Module) -> bool:
        from timm.models.vision_transformer import VisionTransformer
        return isinstance(getattr(backbone, 'timm_model', None),
                          VisionTransformer)

    def shallow_cfg(self, backbone_cfg: dict, num_blocks: int) -> dict:
        cfg = copy.deepcopy(dict(backbone_cfg))
        cfg['depth'] = num_blocks
        for key in ('init_cfg', 'pretrained', 'checkpoint_path'):
            cfg.pop(key, None)
        return cfg

    def blocks(self, backbone: nn.Module) -> nn.Module:
        return backbone.timm_model.blocks

    def embed(self, backbone: nn.Module,
              inputs: torch.Tensor) -> Tuple[torch.Tensor, Any]:
        """timm's ``forward_features`` up to the blocks: patches, prefix
        tokens and position embedding (in the model's order), patch
        dropout, ``norm_pre``."""
        model = backbone.timm_model
        x = model.patch_embed(inputs)
        x = model._pos_embed(x)
        x = model.patch_drop(x)
        return model.norm_pre(x), None

    def set_grad_checkpointing(self, backbone: nn.Module,
                               enable: bool = True) -> bool:
        """timm's own switch: ``forward_features`` checkpoints the blocks."""
        backbone.timm_model.set_grad_checkpointing(enable)
        return True

    def finalize(self, backbone: nn.Module, tokens: torch.Tensor,
                 context: Any) -> tuple:
        """What ``TIMMBackbone`` returns: the final norm, then timm's head
        with pooling and classifier removed."""
        model = backbone.timm_model
        return (model.forward_head(model.norm(tokens)), )

    def patch_layout(self, backbone: nn.Module) -> Tuple[int, int, int]:
        model = backbone.timm_model
        return (int(model.patch_embed.patch_size[0]),
                int(model.patch_embed.proj.in_channels),
                int(model.num_prefix_tokens))

    @staticmethod
    def set_drop_path(block: nn.Module, rate: float) -> None:
        """timm builds ``drop_path1/2`` as ``Identity`` where the build-time
        rate is 0; such a slot gets a ``DropPath`` when a rate is set."""
        from timm.layers import DropPath
        for name in ('drop_path1', 'drop_path2'):
            current = getattr(block, name, None)
            if isinstance(current, DropPath):
                current.drop_prob = float(rate)
            elif isinstance(current, nn.Identity) and rate > 0:
                setattr(block, name, DropPath(float(rate)))

    def part_of(self, key: str) -> Tuple[str, Optional[int]]:
        prefix = 'timm_model.'
        local = key[len(prefix):] if key.startswith(prefix) else key
        attr, _, rest = local.partition('.')
        if attr == 'blocks':
            return BLOCK, int(rest.split('.')[0])
        return (FINAL, None) if attr in self.final_attrs else (EMBED, None)
