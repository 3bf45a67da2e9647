"""timm or mmpretrain ViT -> mmseg 1.2.2 ``VisionTransformer`` backbone."""
from typing import Mapping

import torch

from .layouts import (MMPRETRAIN, MMSEG, TIMM, ConversionError, Logger,
                      StateDict, canonicalize, conversion_summary,
                      describe_vit, report, timm_order, to_layout)


def _canonical_to_mmseg(canon: StateDict, src: str, prefix: str,
                        fill_qkv_bias: bool, logger: Logger) -> StateDict:
    """Drop the head, fill a missing qkv bias, rename, prefix."""
    canon = dict(canon)
    dropped = [k for k in ('head.weight', 'head.bias') if k in canon]
    for key in dropped:
        del canon[key]
    if dropped:
        report(logger, f'dropped the classification head {dropped}: '
               'mmseg\'s VisionTransformer has none.')
    info = describe_vit(canon)
    if not info['qkv_bias']:
        # nn.MultiheadAttention(bias=False) would also drop the output
        # projection bias, so keep bias=True and use a zero q/k/v bias.
        if not fill_qkv_bias:
            raise ConversionError(
                f'{src} has no attn.qkv.bias; mmseg\'s qkv_bias=False also '
                'removes out_proj.bias. Pass fill_qkv_bias=True to write '
                'zero in_proj_bias and build mmseg with qkv_bias=True.')
        for i in range(info['depth']):
            qkv = canon[f'blocks.{i}.attn.qkv.weight']
            canon[f'blocks.{i}.attn.qkv.bias'] = qkv.new_zeros(qkv.shape[0])
        report(logger, 'no qkv bias in the source: wrote zero '
               'attn.attn.in_proj_bias (exactly equivalent); build mmseg\'s '
               'VisionTransformer with qkv_bias=True.')
    out = to_layout(timm_order(canon), MMSEG)
    out = {prefix + k: v for k, v in out.items()}
    report(logger, conversion_summary(src, 'mmseg', canon, len(out)) +
           f'; build mmseg VisionTransformer with patch_bias='
           f'{info["patch_bias"]}, qkv_bias=True, final_norm=True, '
           f'mlp_ratio={info["feedforward_channels"] // info["embed_dims"]}')
    return out


def mmpretrain_to_mmseg(state: Mapping[str, torch.Tensor],
                        prefix: str = '',
                        fill_qkv_bias: bool = True,
                        logger: Logger = print) -> StateDict:
    """mmpretrain ViT classifier -> mmseg 1.2.2 ``VisionTransformer`` weights.

    mmseg's ``VisionTransformer.init_weights`` reads
    ``init_cfg=dict(type='Pretrained', checkpoint=...)`` itself: it takes
    ``checkpoint['state_dict']`` and loads it into the backbone with the keys
    as they are (it ignores ``prefix``), so the default ``prefix=''`` is what a
    backbone ``init_cfg``/``pretrained`` needs. Use ``prefix='backbone.'``
    for a whole-segmentor ``load_from``. Build mmseg with ``patch_bias=True``
    (mmseg's default is False), ``final_norm=True``, and ``qkv_bias=True`` (a
    missing qkv bias is written as zeros, see ``fill_qkv_bias``). mmseg loads
    that file non-strictly, so a mismatched build would be ignored silently:
    check with a strict ``load_state_dict`` first.

    Example:
        >>> sd = mmpretrain_to_mmseg(classifier.state_dict())
        >>> mmseg_vit.load_state_dict(sd)  # strict
    """
    canon, _ = canonicalize(state, MMPRETRAIN, 'mmpretrain state dict')
    return _canonical_to_mmseg(canon, 'mmpretrain', prefix, fill_qkv_bias,
                               logger)


def timm_to_mmseg(state: Mapping[str, torch.Tensor],
                  prefix: str = '',
                  fill_qkv_bias: bool = True,
                  logger: Logger = print) -> StateDict:
    """timm ViT -> mmseg ViT weights; see :func:`mmpretrain_to_mmseg`.

    Example:
        >>> mmseg_vit.load_state_dict(timm_to_mmseg(timm_model.state_dict()))
    """
    canon, _ = canonicalize(state, TIMM, 'timm state dict')
    return _canonical_to_mmseg(canon, 'timm', prefix, fill_qkv_bias, logger)
