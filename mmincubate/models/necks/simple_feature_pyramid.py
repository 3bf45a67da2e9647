"""ViTDet's simple feature pyramid from one plain-ViT feature map."""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d
from torch import nn

from mmincubate.registry import MODELS


def _conv_ln(in_channels: int, out_channels: int, kernel_size: int,
             eps: float) -> List[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size,
                  padding=kernel_size // 2, bias=False),
        LayerNorm2d(out_channels, eps=eps),
    ]


@MODELS.register_module()
class SimpleFeaturePyramid(BaseModule):
    """The ViTDet neck (Li et al., 2022): the plain ViT's last feature map
    (stride p, the patch size) resampled to strides p/4, p/2, p, 2p by
    deconvolutions and pooling, each then projected by a 1x1 and a 3x3
    convolution with LayerNorm over channels, plus a stride-4p level by
    max pooling for the RPN.

    Args:
        in_channels: width of the ViT.
        out_channels: width of every pyramid level.
        scale_factors: resampling factors from the ViT map (4, 2, 1, 0.5).
        num_outs: 5 adds the extra max-pooled level (P6) after the last.
        norm_eps: LayerNorm epsilon.

    Example:
        >>> neck = dict(type='mmincubate.SimpleFeaturePyramid',
        ...             in_channels=768, out_channels=256, num_outs=5)

    With patch size p the outputs have strides ``p/4, p/2, p, 2p, 4p``; the
    RPN anchor generator and RoI extractors must use the same strides
    (4, 8, 16, 32, 64 for p=16; 3.5, 7, 14, 28, 56 for ViT-H's p=14).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 256,
                 scale_factors: Sequence[float] = (4.0, 2.0, 1.0, 0.5),
                 num_outs: int = 5,
                 norm_eps: float = 1e-6,
                 init_cfg=dict(type='Kaiming', layer='Conv2d')) -> None:
        super().__init__(init_cfg)
        if num_outs not in (len(scale_factors), len(scale_factors) + 1):
            raise ValueError(
                f'num_outs={num_outs} must be len(scale_factors)='
                f'{len(scale_factors)} or one more (extra max-pooled level).')
        self.scale_factors = tuple(scale_factors)
        self.num_outs = num_outs
        self.stages = nn.ModuleList()
        for scale in self.scale_factors:
            width = in_channels
            if scale == 4.0:
                layers = [
                    nn.ConvTranspose2d(width, width // 2, 2, stride=2),
                    LayerNorm2d(width // 2, eps=norm_eps),
                    nn.GELU(),
                    nn.ConvTranspose2d(width // 2, width // 4, 2, stride=2),
                ]
                width //= 4
            elif scale == 2.0:
                layers = [nn.ConvTranspose2d(width, width // 2, 2, stride=2)]
                width //= 2
            elif scale == 1.0:
                layers = []
            elif scale == 0.5:
                layers = [nn.MaxPool2d(kernel_size=2, stride=2)]
            else:
                raise ValueError(
                    f'scale factor {scale} is not supported; use any of '
                    '4.0, 2.0, 1.0, 0.5.')
            layers += _conv_ln(width, out_channels, 1, norm_eps)
            layers += _conv_ln(out_channels, out_channels, 3, norm_eps)
            self.stages.append(nn.Sequential(*layers))

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        feature = inputs[-1]
        outs = [stage(feature) for stage in self.stages]
        if self.num_outs > len(outs):
            outs.append(F.max_pool2d(outs[-1], kernel_size=1, stride=2))
        return tuple(outs)
