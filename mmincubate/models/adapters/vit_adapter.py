"""How Deep Incubation reaches into mmpretrain's VisionTransformer."""
import copy
from typing import Any, Optional, Tuple

import torch
from torch import nn

from mmincubate.registry import INCUBATION_ADAPTERS
from .base import BLOCK, EMBED, FINAL, IncubationAdapter


@INCUBATION_ADAPTERS.register_module()
class MMPretrainViTAdapter(IncubationAdapter):
    """mmpretrain ``VisionTransformer`` and the subclasses that keep its
    embedding (DeiT, distilled DeiT, ``mmincubate.PlainViT``).

    Blocks are ``layers.N``; the final norm ``ln1`` (and ``ln2``, the
    pre-logits norm of the ``'avg_featmap'`` output) belong to the last
    module; every other backbone tensor (patch embedding, cls/dist token,
    position embedding, ``pre_norm``) to module 0.

    Example:
        >>> model = dict(type='DeepIncubation',
        ...              adapter=dict(type='MMPretrainViTAdapter'), ...)
    """

    backbone_class = 'mmpretrain.models.VisionTransformer'
    #: backbone attributes after the last block (owned by the last module)
    final_attrs = ('ln1', 'ln2')

    # ---- configs -----------------------------------------------------
    def arch_settings(self, backbone_cfg: dict) -> dict:
        """The architecture dict (embed_dims, num_layers, ...) of a config."""
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

    def shallow_cfg(self, backbone_cfg: dict, num_blocks: int) -> dict:
        cfg = copy.deepcopy(dict(backbone_cfg))
        arch = self.arch_settings(cfg)
        arch['num_layers'] = num_blocks
        cfg['arch'] = arch
        cfg.pop('init_cfg', None)
        cfg.pop('out_indices', None)  # the last block
        return cfg

    # ---- modules -----------------------------------------------------
    def blocks(self, backbone: nn.Module) -> nn.ModuleList:
        return backbone.layers

    def _extra_tokens(self, backbone: nn.Module, batch: int) -> list:
        extra = []
        for name in ('cls_token', 'dist_token'):
            token = getattr(backbone, name, None)
            if token is not None:
                extra.append(token.expand(batch, -1, -1))
        return extra

    def embed(self, backbone: nn.Module,
              inputs: torch.Tensor) -> Tuple[torch.Tensor, Any]:
        """Patches, extra tokens in front, then the position embedding over
        all tokens (resized to the input); context: the patch grid."""
        from mmpretrain.models.utils import resize_pos_embed
        x, patch_resolution = backbone.patch_embed(inputs)
        extra = self._extra_tokens(backbone, inputs.shape[0])
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
        if backbone.final_norm:
            tokens = backbone.ln1(tokens)
        return (backbone._format_output(tokens, context), )

    def patch_layout(self, backbone: nn.Module) -> Tuple[int, int, int]:
        projection = backbone.patch_embed.projection
        return (int(projection.kernel_size[0]), int(projection.in_channels),
                int(backbone.num_extra_tokens))

    # ---- names -------------------------------------------------------
    def part_of(self, key: str) -> Tuple[str, Optional[int]]:
        attr, _, rest = key.partition('.')
        if attr == 'layers':
            return BLOCK, int(rest.split('.')[0])
        return (FINAL, None) if attr in self.final_attrs else (EMBED, None)
