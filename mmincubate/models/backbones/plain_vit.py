"""The mmpretrain ViT as a plain backbone for detection and segmentation."""
from typing import Optional, Sequence, Union

import torch
from mmengine.logging import MMLogger
from mmpretrain.models.backbones import VisionTransformer
from torch.utils.checkpoint import checkpoint as activation_checkpoint

from mmincubate.registry import MODELS
from mmincubate.utils.state_dict import load_state_dict_strict
from ..adapters import adapter_for


@MODELS.register_module()
class PlainViT(VisionTransformer):
    """mmpretrain's ``VisionTransformer`` (``backbone.layers.N`` names) for
    Mask R-CNN and UperNet, loading classifier checkpoints strictly.

    The parameters and their names are mmpretrain's, so an mmincubate
    ``assembled.pth`` / ``final.pth`` (or a converted timm / official Deep
    Incubation model) loads with ``init_cfg=dict(type='Pretrained',
    checkpoint=..., prefix='backbone.')``. Unlike mmengine's ``Pretrained``
    initializer, which only warns, any backbone key that does not load (a
    missing, unexpected or wrongly shaped tensor) raises
    :class:`CheckpointFormatError` with the key lists. The position embedding
    is resized to ``img_size`` at load time and to the actual input at every
    forward (bicubic).

    Args:
        out_type: defaults to ``'featmap'`` (B, C, H/p, W/p) per out index.
        with_cp: activation checkpointing of every block while training
            (saves memory for ViT-L/H at 1024, costs one more forward).
        **kwargs: everything else of mmpretrain's ``VisionTransformer``.

    Example:
        >>> backbone = dict(
        ...     type='mmincubate.PlainViT', arch='base', img_size=1024,
        ...     out_indices=(11, ), drop_path_rate=0.1,
        ...     init_cfg=dict(type='Pretrained', prefix='backbone.',
        ...                   checkpoint='work_dirs/vit_b_k4/final.pth'))
    """

    def __init__(self,
                 *args,
                 out_type: str = 'featmap',
                 with_cp: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None,
                 **kwargs) -> None:
        super().__init__(*args, out_type=out_type, init_cfg=init_cfg, **kwargs)
        self.with_cp = with_cp

    def init_weights(self) -> None:
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        self.load_pretrained(cfg['checkpoint'], cfg.get('prefix', 'backbone.'))
        self._is_init = True

    def load_pretrained(self, filename: str, prefix: str = 'backbone.') -> None:
        """Strictly load the ``prefix`` part of a checkpoint (see class doc).
        """
        # _prepare_pos_embed (a load_state_dict pre-hook) resizes pos_embed.
        state = load_state_dict_strict(
            self, filename, prefixes=(prefix, ),
            what=f'checkpoint "{filename}" (prefix "{prefix}") for the '
            f'{type(self).__name__} backbone',
            hint='The backbone config (arch, patch_size, qkv_bias, '
            'final_norm, with_cls_token) must match the pretrained ViT; '
            'convert timm or official Deep Incubation weights with '
            'tools/model_converters/.',
            prefix_hint="Set `init_cfg.prefix` (e.g. 'target.backbone.' for "
            "an mmincubate training checkpoint, '' for a bare backbone) or "
            'convert the file with tools/model_converters/.',
            skip_shape_check=('pos_embed', ))
        MMLogger.get_current_instance().info(
            f'PlainViT: loaded all {len(state)} backbone tensors from '
            f'"{filename}" (prefix "{prefix}").')

    def train(self, mode: bool = True) -> 'PlainViT':
        # mmpretrain's ViT.train returns None; nn.Module's contract is self
        super().train(mode)
        return self

    def forward(self, x: torch.Tensor) -> Sequence[torch.Tensor]:
        if not (self.with_cp and self.training):
            return super().forward(x)
        x, patch_resolution = adapter_for(self).embed(self, x)
        outs = []
        for i, layer in enumerate(self.layers):
            x = activation_checkpoint(layer, x, use_reentrant=False)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, patch_resolution))
        return tuple(outs)
