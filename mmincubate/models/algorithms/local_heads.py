"""The local losses' networks: auxiliary classifiers, patch decoders, and
InfoPro's depth-dependent weights."""
import copy
from typing import Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmincubate.registry import MODELS
from ..adapters import EMBED, IncubationAdapter

#: a loss weight: one value for every module, or (first, last) over the
#: modules with an auxiliary network (InfoPro's linear schedule)
Weight = Union[float, Sequence[float]]
AUX_NETS = ('linear', 'block')


def local_weight(weight: Weight, index: int, num_modules: int) -> float:
    """The weight of module ``index`` (of ``num_modules``; the last one has
    no auxiliary network). A pair ``(first, last)`` is interpolated
    linearly from module 0 to module K-2, as InfoPro does (Wang et al.,
    ICLR 2021; official code ``InfoPro-Pytorch``,
    ``networks/resnet.py``: ``ratio = i / (K - 2)``, 0 when ``K <= 2``;
    ``w = first * (1 - ratio) + last * ratio``).

    Example:
        >>> [local_weight((1.0, 0.0), i, 4) for i in range(3)]
        [1.0, 0.5, 0.0]
    """
    if isinstance(weight, (int, float)):
        return float(weight)
    first, last = (float(w) for w in weight)
    ratio = index / (num_modules - 2) if num_modules > 2 else 0.0
    return first * (1 - ratio) + last * ratio


class AuxiliaryClassifier(BaseModule):
    """A classifier on a module's tokens: ``num_blocks`` transformer blocks
    of the target's kind and width (0: DGL's linear form, 1: ``block``),
    then the target's final norm and token pooling (its own copies, through
    the adapter's ``finalize``), neck and head, all freshly initialised
    (``init_weights``: as the target's config initialises them).

    It is built from the target's config with a one-block backbone, whose
    embedding tensors are removed (they never run here).

    Example:
        >>> aux = AuxiliaryClassifier(target_cfg, adapter, num_blocks=0)
        >>> losses = aux.loss(tokens, context, data_samples)
    """

    def __init__(self, target_cfg: dict, adapter: IncubationAdapter,
                 num_blocks: int) -> None:
        super().__init__()
        cfg = copy.deepcopy(dict(target_cfg))
        cfg['backbone'] = adapter.shallow_cfg(cfg['backbone'], 1)
        cfg.pop('init_cfg', None)
        cfg.pop('data_preprocessor', None)
        classifier = MODELS.build(cfg)
        self.adapter = adapter
        self.backbone = classifier.backbone
        self.neck = classifier.neck if classifier.with_neck else None
        self.head = classifier.head
        _remove_embedding(self.backbone, adapter)
        del adapter.blocks(self.backbone)[num_blocks:]

    def forward(self, tokens: torch.Tensor, context) -> tuple:
        """Tokens -> the features the head takes."""
        for block in self.adapter.blocks(self.backbone):
            tokens = block(tokens)
        feats = self.adapter.finalize(self.backbone, tokens, context)
        return self.neck(feats) if self.neck is not None else feats

    def loss(self, tokens: torch.Tensor, context, data_samples) -> dict:
        return self.head.loss(self(tokens, context), data_samples)

    def predict(self, tokens: torch.Tensor, context, data_samples) -> list:
        return self.head.predict(self(tokens, context), data_samples)


def _remove_embedding(backbone: nn.Module,
                      adapter: IncubationAdapter) -> None:
    """Drop the tensors the adapter calls embedding (patch embedding,
    tokens, position embedding): set to None, so they neither train nor
    appear in a state dict."""
    for name, _ in [*backbone.named_parameters(), *backbone.named_buffers()]:
        if adapter.part_of(name)[0] != EMBED:
            continue
        owner_name, _, attr = name.rpartition('.')
        owner = backbone.get_submodule(owner_name) if owner_name \
            else backbone
        if attr in owner._parameters:
            owner.register_parameter(attr, None)
        else:
            owner.register_buffer(attr, None)


class PatchDecoder(nn.Module):
    """InfoPro's reconstruction for a ViT: a norm and a linear map from each
    patch token back to its patch's pixels; the loss is the mean squared
    error against the network's (normalised) input.

    Example:
        >>> decoder = PatchDecoder(64, patch_size=2, in_channels=1,
        ...                        num_prefix_tokens=1)
        >>> loss = decoder.loss(tokens, inputs)
    """

    def __init__(self, embed_dims: int, patch_size: int, in_channels: int,
                 num_prefix_tokens: int) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.num_prefix_tokens = num_prefix_tokens
        self.norm = nn.LayerNorm(embed_dims)
        self.proj = nn.Linear(embed_dims, patch_size**2 * in_channels)

    def patches(self, inputs: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) -> (B, patches, C * p * p), row-major."""
        p = self.patch_size
        height, width = inputs.shape[-2:]
        if height % p or width % p:
            raise ValueError(
                f'The reconstruction loss needs images divisible by the '
                f'patch size {p}; got {height}x{width}. Resize or crop the '
                'inputs, or set lambda_rec=0.')
        return F.unfold(inputs, kernel_size=p, stride=p).transpose(1, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.proj(self.norm(tokens[:, self.num_prefix_tokens:]))

    def loss(self, tokens: torch.Tensor,
             inputs: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(self(tokens), self.patches(inputs))


def check_local_weights(lambda_ce: Weight, lambda_rec: Weight,
                        num_modules: int) -> Tuple[list, list]:
    """Per-module (CE, reconstruction) weights of the modules with
    auxiliary networks; every one must train on something."""
    ce = [local_weight(lambda_ce, i, num_modules)
          for i in range(num_modules - 1)]
    rec = [local_weight(lambda_rec, i, num_modules)
           for i in range(num_modules - 1)]
    for i, (c, r) in enumerate(zip(ce, rec)):
        if c < 0 or r < 0:
            raise ValueError(f'Module {i}: local loss weights must not be '
                             f'negative (lambda_ce={c}, lambda_rec={r}).')
        if c == 0 and r == 0:
            raise ValueError(
                f'Module {i} would train on nothing: lambda_ce and '
                f'lambda_rec are both 0 there (lambda_ce={lambda_ce!r}, '
                f'lambda_rec={lambda_rec!r}); give it a positive weight.')
    return ce, rec
