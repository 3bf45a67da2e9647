"""Key layouts of a plain ViT and the canonical (timm) form they map through.

Every converter renames a state dict into the canonical form (timm 1.0 names,
see :data:`TIMM_BLOCK_PARAMS`), checks the whole key set there and renames it
into the target layout. Anything unrecognised or missing is a
:class:`ConversionError` listing the offending keys; nothing is skipped
silently.

Layouts:

* timm ``VisionTransformer`` (also DeiT): ``cls_token``, ``pos_embed``,
  ``patch_embed.proj.*``, ``blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,
  mlp.fc2}.*``, ``norm.*``, ``head.*``.
* mmpretrain ``ImageClassifier`` (``VisionTransformer`` backbone,
  ``VisionTransformerClsHead``): ``backbone.{cls_token,pos_embed}``,
  ``backbone.patch_embed.projection.*``, ``backbone.layers.N.{ln1,attn.qkv,
  attn.proj,ln2,ffn.layers.0.0,ffn.layers.1}.*``, ``backbone.ln1.*`` (final
  norm), ``head.layers.head.*``.
* mmseg ``VisionTransformer`` (backbone only): as mmpretrain without the
  ``backbone.`` prefix, except ``layers.N.attn.attn.in_proj_{weight,bias}`` and
  ``layers.N.attn.attn.out_proj.*`` (``nn.MultiheadAttention``).
"""
import re
from typing import (Any, Callable, Dict, Iterable, List, Mapping, Optional,
                    Tuple)

import torch

StateDict = Dict[str, torch.Tensor]
#: where converters write their progress lines (None: nowhere)
Logger = Optional[Callable[[str], None]]

#: Parameters of one timm ViT block (canonical names, after ``blocks.N.``).
TIMM_BLOCK_PARAMS: Tuple[str, ...] = (
    'norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias',
    'attn.proj.weight', 'attn.proj.bias', 'norm2.weight', 'norm2.bias',
    'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias')

#: Top-level (non-block) parameters, canonical names.
TIMM_TOP_PARAMS: Tuple[str, ...] = (
    'cls_token', 'pos_embed', 'patch_embed.proj.weight',
    'patch_embed.proj.bias', 'norm.weight', 'norm.bias', 'head.weight',
    'head.bias')

#: ``blocks.<index>.<block parameter>`` in canonical names
CANONICAL_BLOCK_RE = re.compile(r'blocks\.(\d+)\.(.+)$')

# Canonical keys that may be absent. Each group is all-or-none.
_OPTIONAL_BLOCK = ('attn.qkv.bias', )  # ViT-H: qkv_bias=False
_OPTIONAL_TOP_GROUPS = (('patch_embed.proj.bias', ), ('head.weight',
                                                       'head.bias'))

_MMPRE_BLOCK = dict(
    zip(TIMM_BLOCK_PARAMS,
        ('ln1.weight', 'ln1.bias', 'attn.qkv.weight', 'attn.qkv.bias',
         'attn.proj.weight', 'attn.proj.bias', 'ln2.weight', 'ln2.bias',
         'ffn.layers.0.0.weight', 'ffn.layers.0.0.bias', 'ffn.layers.1.weight',
         'ffn.layers.1.bias')))
_MMPRE_TOP = dict(
    zip(TIMM_TOP_PARAMS,
        ('backbone.cls_token', 'backbone.pos_embed',
         'backbone.patch_embed.projection.weight',
         'backbone.patch_embed.projection.bias', 'backbone.ln1.weight',
         'backbone.ln1.bias', 'head.layers.head.weight',
         'head.layers.head.bias')))

_MMSEG_BLOCK = dict(
    _MMPRE_BLOCK, **{
        'attn.qkv.weight': 'attn.attn.in_proj_weight',
        'attn.qkv.bias': 'attn.attn.in_proj_bias',
        'attn.proj.weight': 'attn.attn.out_proj.weight',
        'attn.proj.bias': 'attn.attn.out_proj.bias',
    })
_MMSEG_TOP = {
    'cls_token': 'cls_token',
    'pos_embed': 'pos_embed',
    'patch_embed.proj.weight': 'patch_embed.projection.weight',
    'patch_embed.proj.bias': 'patch_embed.projection.bias',
    'norm.weight': 'ln1.weight',
    'norm.bias': 'ln1.bias',
}


class ConversionError(ValueError):
    """A state dict does not have the layout a converter expects."""


def format_keys(keys: Iterable[str], limit: int = 40) -> str:
    """``[a, b, ...]`` sorted, at most ``limit`` shown."""
    keys = sorted(keys)
    shown = ', '.join(keys[:limit])
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return f'[{shown}{more}]'


def report(logger: Logger, msg: str) -> None:
    """Pass ``msg`` to ``logger`` unless it is None."""
    if logger is not None:
        logger(msg)


class Layout:
    """Name mapping between canonical (timm) keys and one format."""

    def __init__(self, name: str, top: Mapping[str, str], block_prefix: str,
                 block: Mapping[str, str]) -> None:
        self.name = name
        self.top = dict(top)
        self.top_inv = {v: k for k, v in self.top.items()}
        self.block = dict(block)
        self.block_inv = {v: k for k, v in self.block.items()}
        self.block_prefix = block_prefix
        self.block_re = re.compile(re.escape(block_prefix) + r'(\d+)\.(.+)$')

    def to_canonical(self, key: str) -> Optional[str]:
        """The canonical name of ``key``; None if this layout has no such key.
        """
        if key in self.top_inv:
            return self.top_inv[key]
        match = self.block_re.match(key)
        if match and match.group(2) in self.block_inv:
            return f'blocks.{int(match.group(1))}.' \
                   f'{self.block_inv[match.group(2)]}'
        return None

    def from_canonical(self, key: str) -> Optional[str]:
        """This layout's name for canonical ``key``; None if it has none."""
        if key in self.top:
            return self.top[key]
        match = CANONICAL_BLOCK_RE.match(key)
        if match and match.group(2) in self.block:
            return f'{self.block_prefix}{int(match.group(1))}.' \
                   f'{self.block[match.group(2)]}'
        return None


TIMM = Layout('timm', {k: k for k in TIMM_TOP_PARAMS}, 'blocks.',
              {k: k for k in TIMM_BLOCK_PARAMS})
MMPRETRAIN = Layout('mmpretrain', _MMPRE_TOP, 'backbone.layers.',
                    _MMPRE_BLOCK)
MMSEG = Layout('mmseg', _MMSEG_TOP, 'layers.', _MMSEG_BLOCK)


def check_tensors(state: Mapping[str, Any], what: str) -> None:
    """Raise :class:`ConversionError` unless ``state`` maps names to tensors.
    """
    if not isinstance(state, Mapping):
        raise ConversionError(
            f'{what}: expected a dict of tensors, got {type(state).__name__}.')
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ConversionError(
            f'{what}: these entries are not tensors: '
            f'{format_keys(map(str, bad))}')


def block_indices(keys: Iterable[str]) -> List[int]:
    """Sorted block indices that canonical ``keys`` mention."""
    found = set()
    for key in keys:
        match = CANONICAL_BLOCK_RE.match(key)
        if match:
            found.add(int(match.group(1)))
    return sorted(found)


def _validate_canonical(canon: Mapping[str, torch.Tensor],
                        layout: Layout, what: str) -> int:
    """Check a canonical dict is a complete ViT; return its depth."""
    indices = block_indices(canon)
    if not indices:
        raise ConversionError(f'{what}: found no transformer blocks.')
    depth = indices[-1] + 1
    expected = set(TIMM_TOP_PARAMS)
    for group in _OPTIONAL_TOP_GROUPS:
        if not any(k in canon for k in group):
            expected -= set(group)
    block_params = set(TIMM_BLOCK_PARAMS)
    if not any(k.endswith('.' + p) for k in canon for p in _OPTIONAL_BLOCK
               if CANONICAL_BLOCK_RE.match(k)):
        block_params -= set(_OPTIONAL_BLOCK)
    for i in range(depth):
        expected |= {f'blocks.{i}.{p}' for p in block_params}
    missing = expected - set(canon)
    if missing:
        names = [layout.from_canonical(k) or k for k in missing]
        raise ConversionError(
            f'{what}: missing {len(names)} key(s) for a {depth}-block '
            f'{layout.name} ViT: {format_keys(names)}')
    return depth


def canonicalize(state: Mapping[str, torch.Tensor], layout: Layout,
                 what: str) -> Tuple[StateDict, int]:
    """Rename a complete ``layout`` ViT into canonical names.

    Returns the canonical dict and the depth; unknown or missing keys raise
    :class:`ConversionError` naming ``what``.
    """
    check_tensors(state, what)
    canon: StateDict = {}
    unknown = []
    for key, value in state.items():
        name = layout.to_canonical(key)
        if name is None:
            unknown.append(key)
        else:
            canon[name] = value
    if unknown:
        raise ConversionError(
            f'{what}: {len(unknown)} unknown key(s) for a {layout.name} '
            f'ViT (distilled/register/pre-norm/avg-pool variants are not '
            f'supported): {format_keys(unknown)}')
    depth = _validate_canonical(canon, layout, what)
    return canon, depth


def to_layout(canon: Mapping[str, torch.Tensor], layout: Layout) -> StateDict:
    """Rename a canonical dict into ``layout`` (every key must have a slot)."""
    out: StateDict = {}
    for key, value in canon.items():
        name = layout.from_canonical(key)
        if name is None:  # a key the target format has no slot for
            raise ConversionError(
                f'{layout.name} has no parameter for "{key}".')
        out[name] = value
    return out


def timm_order(canon: Mapping[str, torch.Tensor]) -> StateDict:
    """Order canonical keys like timm's ``state_dict()``."""

    def rank(key: str) -> Tuple[int, int, int]:
        match = CANONICAL_BLOCK_RE.match(key)
        if match:
            return (1, int(match.group(1)),
                    TIMM_BLOCK_PARAMS.index(match.group(2)))
        pos = TIMM_TOP_PARAMS.index(key)
        return (0 if pos < 4 else 2, pos, 0)

    return {k: canon[k] for k in sorted(canon, key=rank)}


def describe_vit(canon: Mapping[str, torch.Tensor]) -> Dict[str, Any]:
    """Architecture facts readable from a canonical (timm-named) state dict.

    Example:
        >>> describe_vit(timm_model.state_dict())['depth']
        12
    """
    depth = block_indices(canon)[-1] + 1
    proj = canon['patch_embed.proj.weight']
    return dict(
        depth=depth,
        embed_dims=int(proj.shape[0]),
        patch_size=tuple(int(s) for s in proj.shape[2:]),
        num_tokens=int(canon['pos_embed'].shape[1]),
        feedforward_channels=int(canon['blocks.0.mlp.fc1.weight'].shape[0]),
        qkv_bias='blocks.0.attn.qkv.bias' in canon,
        patch_bias='patch_embed.proj.bias' in canon,
        num_classes=(int(canon['head.weight'].shape[0])
                     if 'head.weight' in canon else None))


def conversion_summary(src: str, dst: str, canon: Mapping[str, torch.Tensor],
                       n_out: int) -> str:
    """One line: what was converted and the architecture it describes."""
    info = describe_vit(canon)
    return (f'{src} -> {dst}: converted {n_out} tensors (depth '
            f'{info["depth"]}, embed_dims {info["embed_dims"]}, patch '
            f'{info["patch_size"][0]}, mlp {info["feedforward_channels"]}, '
            f'qkv_bias {info["qkv_bias"]}, tokens {info["num_tokens"]}, '
            f'classes {info["num_classes"]})')
