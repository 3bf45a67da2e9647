"""Pool the tokens of a transformer backbone into one feature per image."""
from typing import Tuple

import torch
from mmengine.model import BaseModule

from mmincubate.registry import MODELS


@MODELS.register_module()
class TokenPoolNeck(BaseModule):
    """(B, N, C) tokens -> (B, C) features, for backbones that return all
    tokens (mmpretrain's ``TIMMBackbone`` around a timm ViT).

    Args:
        pool: ``'token'`` (the first token, timm's ``global_pool='token'``)
            or ``'avg'`` (the mean of the patch tokens).
        num_prefix_tokens: cls and register tokens in front of the patches,
            left out of ``'avg'`` (timm's ``num_prefix_tokens``).

    Example:
        >>> neck = dict(type='mmincubate.TokenPoolNeck', pool='avg',
        ...             num_prefix_tokens=4)   # e.g. a *_reg4_gap_* model
    """

    def __init__(self, pool: str = 'token', num_prefix_tokens: int = 1,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pool not in ('token', 'avg'):
            raise ValueError(f'TokenPoolNeck pool={pool!r}; choose "token" '
                             'or "avg".')
        if pool == 'token' and num_prefix_tokens < 1:
            raise ValueError('TokenPoolNeck pool="token" needs a prefix '
                             'token (num_prefix_tokens >= 1); use "avg".')
        self.pool = pool
        self.num_prefix_tokens = int(num_prefix_tokens)

    def forward(self, inputs: Tuple[torch.Tensor]) -> Tuple[torch.Tensor]:
        def pooled(tokens: torch.Tensor) -> torch.Tensor:
            if tokens.dim() != 3:
                raise ValueError(
                    f'TokenPoolNeck expects (B, N, C) tokens, got shape '
                    f'{tuple(tokens.shape)}.')
            if self.pool == 'token':
                return tokens[:, 0]
            return tokens[:, self.num_prefix_tokens:].mean(dim=1)

        return tuple(pooled(t) for t in inputs)
