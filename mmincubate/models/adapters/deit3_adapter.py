"""How Deep Incubation reaches into mmpretrain's DeiT3 (layer scale)."""
from typing import Any, Tuple

import torch
from torch import nn

from mmincubate.registry import INCUBATION_ADAPTERS
from .base import BLOCK
from .vit_adapter import MMPretrainViTAdapter


@INCUBATION_ADAPTERS.register_module()
class MMPretrainDeiT3Adapter(MMPretrainViTAdapter):
    """mmpretrain ``DeiT3``: the names, configs and final norm of its parent
    ``VisionTransformer``, but another embedding: the position embedding
    covers the patches only and the cls token is put in front after it;
    there is no ``pre_norm``. mmpretrain 1.2.0's DeiT3 layer applies
    ``ln1`` before both its attention and its FFN, so every block's ``ln2``
    is never used (:meth:`never_used`: frozen, not wrapped by DDP).

    Example:
        >>> model = dict(type='DeepIncubation', target=dict(
        ...     type='ImageClassifier', backbone=dict(type='DeiT3', arch='s'),
        ...     head=dict(type='VisionTransformerClsHead', num_classes=1000,
        ...               in_channels=384)))
    """

    backbone_class = 'mmpretrain.models.DeiT3'
    final_attrs = ('ln1', )

    def embed(self, backbone: nn.Module,
              inputs: torch.Tensor) -> Tuple[torch.Tensor, Any]:
        from mmpretrain.models.utils import resize_pos_embed
        x, patch_resolution = backbone.patch_embed(inputs)
        x = x + resize_pos_embed(
            backbone.pos_embed,
            backbone.patch_resolution,
            patch_resolution,
            mode=backbone.interpolate_mode,
            num_extra_tokens=0)
        x = backbone.drop_after_pos(x)
        if backbone.cls_token is not None:
            cls_token = backbone.cls_token.expand(x.shape[0], -1, -1)
            x = torch.cat((cls_token, x), dim=1)
        return x, patch_resolution

    def never_used(self, key: str) -> bool:
        part, _ = self.part_of(key)
        return part == BLOCK and '.ln2.' in key
