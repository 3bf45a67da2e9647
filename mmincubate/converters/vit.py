"""State-dict converters for plain ViTs between timm, mmpretrain and mmseg.

Every converter goes through one canonical layout (timm 1.0 names, see
:data:`TIMM_BLOCK_PARAMS`), checks the whole key set and refuses anything it
does not recognise or anything that is missing with a :class:`ConversionError`
that lists the offending keys. Nothing is ever skipped silently: the keys that
are dropped on purpose (``stages.*`` aliases of the official Deep Incubation
release, the classification head when exporting to mmseg) are reported.

Formats:

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
* official Deep Incubation release: a dict with ``model`` (timm names plus
  ``stages.*`` aliases) and/or ``model_stages`` (one timm-named state dict per
  module, block indices local to the module).

Example:
    >>> import timm
    >>> timm_sd = timm.create_model('vit_tiny_patch16_224').state_dict()
    >>> mmpre_sd = timm_to_mmpretrain(timm_sd)
    >>> assert mmpretrain_to_timm(mmpre_sd).keys() == timm_sd.keys()
"""
import re
from typing import (Any, Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple)

import torch

__all__ = [
    'ConversionError', 'TIMM_BLOCK_PARAMS', 'describe_vit',
    'timm_to_mmpretrain', 'mmpretrain_to_timm',
    'deep_incubation_to_mmpretrain', 'deep_incubation_to_timm',
    'mmpretrain_to_mmseg', 'timm_to_mmseg',
    'DIRECTIONS', 'convert_file', 'cli_main'
]

StateDict = Dict[str, torch.Tensor]
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

# Keys of the official release that are training state, not weights.
_RELEASE_MODEL_ENTRIES = ('model', 'model_stages')


class ConversionError(ValueError):
    """A state dict does not have the layout a converter expects."""


def _fmt_keys(keys: Iterable[str], limit: int = 40) -> str:
    keys = sorted(keys)
    shown = ', '.join(keys[:limit])
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return f'[{shown}{more}]'


def _log(logger: Logger, msg: str) -> None:
    if logger is not None:
        logger(msg)


class _Layout:
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
        if key in self.top_inv:
            return self.top_inv[key]
        match = self.block_re.match(key)
        if match and match.group(2) in self.block_inv:
            return f'blocks.{int(match.group(1))}.' \
                   f'{self.block_inv[match.group(2)]}'
        return None

    def from_canonical(self, key: str) -> Optional[str]:
        if key in self.top:
            return self.top[key]
        match = _CANON_BLOCK_RE.match(key)
        if match and match.group(2) in self.block:
            return f'{self.block_prefix}{int(match.group(1))}.' \
                   f'{self.block[match.group(2)]}'
        return None


_CANON_BLOCK_RE = re.compile(r'blocks\.(\d+)\.(.+)$')
TIMM = _Layout('timm', {k: k for k in TIMM_TOP_PARAMS}, 'blocks.',
               {k: k for k in TIMM_BLOCK_PARAMS})
MMPRETRAIN = _Layout('mmpretrain', _MMPRE_TOP, 'backbone.layers.',
                     _MMPRE_BLOCK)
MMSEG = _Layout('mmseg', _MMSEG_TOP, 'layers.', _MMSEG_BLOCK)


def _check_tensors(state: Mapping[str, Any], what: str) -> None:
    if not isinstance(state, Mapping):
        raise ConversionError(
            f'{what}: expected a dict of tensors, got {type(state).__name__}.')
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ConversionError(
            f'{what}: these entries are not tensors: '
            f'{_fmt_keys(map(str, bad))}')


def _block_indices(keys: Iterable[str]) -> List[int]:
    found = set()
    for key in keys:
        match = _CANON_BLOCK_RE.match(key)
        if match:
            found.add(int(match.group(1)))
    return sorted(found)


def _validate_canonical(canon: Mapping[str, torch.Tensor],
                        layout: _Layout, what: str) -> int:
    """Check a canonical dict is a complete ViT; return its depth."""
    indices = _block_indices(canon)
    if not indices:
        raise ConversionError(f'{what}: found no transformer blocks.')
    depth = indices[-1] + 1
    expected = set(TIMM_TOP_PARAMS)
    for group in _OPTIONAL_TOP_GROUPS:
        if not any(k in canon for k in group):
            expected -= set(group)
    block_params = set(TIMM_BLOCK_PARAMS)
    if not any(k.endswith('.' + p) for k in canon for p in _OPTIONAL_BLOCK
               if _CANON_BLOCK_RE.match(k)):
        block_params -= set(_OPTIONAL_BLOCK)
    for i in range(depth):
        expected |= {f'blocks.{i}.{p}' for p in block_params}
    missing = expected - set(canon)
    if missing:
        names = [layout.from_canonical(k) or k for k in missing]
        raise ConversionError(
            f'{what}: missing {len(names)} key(s) for a {depth}-block '
            f'{layout.name} ViT: {_fmt_keys(names)}')
    return depth


def _to_canonical(state: Mapping[str, torch.Tensor], layout: _Layout,
                  what: str) -> Tuple[StateDict, int]:
    _check_tensors(state, what)
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
            f'supported): {_fmt_keys(unknown)}')
    depth = _validate_canonical(canon, layout, what)
    return canon, depth


def _from_canonical(canon: Mapping[str, torch.Tensor],
                    layout: _Layout) -> StateDict:
    out: StateDict = {}
    for key, value in canon.items():
        name = layout.from_canonical(key)
        if name is None:  # a key the target format has no slot for
            raise ConversionError(
                f'{layout.name} has no parameter for "{key}".')
        out[name] = value
    return out


def _sorted_canonical(canon: Mapping[str, torch.Tensor]) -> StateDict:
    """Order keys like timm's ``state_dict()``."""

    def rank(key: str) -> Tuple[int, int, int]:
        match = _CANON_BLOCK_RE.match(key)
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
    depth = _block_indices(canon)[-1] + 1
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


def _summary(src: str, dst: str, canon: Mapping[str, torch.Tensor],
             n_out: int) -> str:
    info = describe_vit(canon)
    return (f'{src} -> {dst}: converted {n_out} tensors (depth '
            f'{info["depth"]}, embed_dims {info["embed_dims"]}, patch '
            f'{info["patch_size"][0]}, mlp {info["feedforward_channels"]}, '
            f'qkv_bias {info["qkv_bias"]}, tokens {info["num_tokens"]}, '
            f'classes {info["num_classes"]})')


def timm_to_mmpretrain(state: Mapping[str, torch.Tensor],
                       logger: Logger = print) -> StateDict:
    """timm ``VisionTransformer``/DeiT state dict -> mmpretrain classifier.

    Example:
        >>> sd = timm_to_mmpretrain(timm_model.state_dict())
        >>> mmpretrain_classifier.load_state_dict(sd)  # strict
    """
    canon, _ = _to_canonical(state, TIMM, 'timm state dict')
    out = _from_canonical(_sorted_canonical(canon), MMPRETRAIN)
    _log(logger, _summary('timm', 'mmpretrain', canon, len(out)))
    return out


def mmpretrain_to_timm(state: Mapping[str, torch.Tensor],
                       logger: Logger = print) -> StateDict:
    """mmpretrain ViT ``ImageClassifier`` state dict -> timm names.

    Example:
        >>> sd = mmpretrain_to_timm(classifier.state_dict())
        >>> timm_model.load_state_dict(sd)
    """
    canon, _ = _to_canonical(state, MMPRETRAIN, 'mmpretrain state dict')
    out = _sorted_canonical(canon)
    _log(logger, _summary('mmpretrain', 'timm', canon, len(out)))
    return out


def _to_mmseg(canon: StateDict, src: str, prefix: str,
              fill_qkv_bias: bool, logger: Logger) -> StateDict:
    canon = dict(canon)
    dropped = [k for k in ('head.weight', 'head.bias') if k in canon]
    for key in dropped:
        del canon[key]
    if dropped:
        _log(logger, f'dropped the classification head {dropped}: mmseg\'s '
             'VisionTransformer has none.')
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
        _log(logger, 'no qkv bias in the source: wrote zero '
             'attn.attn.in_proj_bias (exactly equivalent); build mmseg\'s '
             'VisionTransformer with qkv_bias=True.')
    out = _from_canonical(_sorted_canonical(canon), MMSEG)
    out = {prefix + k: v for k, v in out.items()}
    _log(logger, _summary(src, 'mmseg', canon, len(out)) +
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
    canon, _ = _to_canonical(state, MMPRETRAIN, 'mmpretrain state dict')
    return _to_mmseg(canon, 'mmpretrain', prefix, fill_qkv_bias, logger)


def timm_to_mmseg(state: Mapping[str, torch.Tensor],
                  prefix: str = '',
                  fill_qkv_bias: bool = True,
                  logger: Logger = print) -> StateDict:
    """timm ViT -> mmseg ViT weights; see :func:`mmpretrain_to_mmseg`.

    Example:
        >>> mmseg_vit.load_state_dict(timm_to_mmseg(timm_model.state_dict()))
    """
    canon, _ = _to_canonical(state, TIMM, 'timm state dict')
    return _to_mmseg(canon, 'timm', prefix, fill_qkv_bias, logger)


# --------------------------------------------------------------------------
# Official Deep Incubation release
# --------------------------------------------------------------------------
_ALIAS_RE = re.compile(r'stages\.(\d+)\.(\d+)\.(.+)$')


def _drop_stage_aliases(state: Mapping[str, torch.Tensor], what: str,
                        depths: Optional[Sequence[int]],
                        logger: Logger) -> StateDict:
    """Remove ``stages.*`` alias keys, verifying those that can be mapped.

    Rule: every key starting with ``stages.`` is an alias of a block
    parameter. A key ``stages.i.j.<param>`` whose ``<param>`` is a block
    parameter maps to ``blocks.{sum(depths[:i]) + j}.<param>`` where
    ``depths`` are the module depths (from ``model_stages`` when present,
    else ``max(j) + 1`` per stage from the alias keys themselves, used only
    when they add up to the number of blocks). A mapped alias must equal its
    block tensor (else :class:`ConversionError`); an alias that cannot be
    mapped is dropped unchecked. Either way it is dropped and counted.
    """
    kept: StateDict = {}
    aliases: Dict[str, Tuple[int, int, str]] = {}
    unparsed: List[str] = []
    for key, value in state.items():
        if not key.startswith('stages.'):
            kept[key] = value
            continue
        match = _ALIAS_RE.match(key)
        if match and match.group(3) in TIMM_BLOCK_PARAMS:
            aliases[key] = (int(match.group(1)), int(match.group(2)),
                            match.group(3))
        else:
            unparsed.append(key)
    if not aliases and not unparsed:
        return kept
    n_blocks = len(_block_indices(kept))
    if depths is None and aliases:
        per_stage: Dict[int, int] = {}
        for i, j, _ in aliases.values():
            per_stage[i] = max(per_stage.get(i, 0), j + 1)
        if sorted(per_stage) == list(range(len(per_stage))):
            depths = [per_stage[i] for i in range(len(per_stage))]
    if depths is not None and sum(depths) != n_blocks:
        depths = None
    verified, unchecked = 0, list(unparsed)
    mismatched = []
    for key, (i, j, param) in aliases.items():
        if depths is None or i >= len(depths) or j >= depths[i]:
            unchecked.append(key)
            continue
        target = f'blocks.{sum(depths[:i]) + j}.{param}'
        if target not in kept:
            unchecked.append(key)
            continue
        alias, block = state[key], kept[target]
        if alias.shape != block.shape or not torch.equal(alias, block):
            mismatched.append(f'{key} != {target}')
        else:
            verified += 1
    if mismatched:
        raise ConversionError(
            f'{what}: {len(mismatched)} stages.* alias(es) differ from the '
            f'blocks they should alias (module depths {depths}): '
            f'{_fmt_keys(mismatched)}')
    _log(logger, f'{what}: dropped {len(aliases) + len(unparsed)} stages.* '
         f'alias keys ({verified} verified equal to their blocks with module '
         f'depths {depths}, {len(unchecked)} unmapped and unchecked).')
    return kept


def _merge_model_stages(stages: Any, logger: Logger) -> Tuple[StateDict,
                                                              List[int]]:
    if not isinstance(stages, (list, tuple)) or not stages:
        raise ConversionError('"model_stages" must be a non-empty list of '
                              f'state dicts, got {type(stages).__name__}.')
    merged: StateDict = {}
    depths: List[int] = []
    offset = 0
    conflicts = []
    for k, part in enumerate(stages):
        what = f'model_stages[{k}]'
        _check_tensors(part, what)
        part = _drop_stage_aliases(part, what, None, logger)
        local = _block_indices(part)
        if local != list(range(len(local))):
            raise ConversionError(
                f'{what}: local block indices must be 0..n-1, got {local}.')
        for key, value in part.items():
            match = _CANON_BLOCK_RE.match(key)
            if match:
                key = f'blocks.{offset + int(match.group(1))}.{match.group(2)}'
            if key in merged:
                if not torch.equal(merged[key], value):
                    conflicts.append(key)
                continue
            merged[key] = value
        depths.append(len(local))
        offset += len(local)
    if conflicts:
        raise ConversionError(
            f'model_stages: keys held by several modules with different '
            f'values: {_fmt_keys(conflicts)}')
    _log(logger, f'model_stages: merged {len(stages)} modules with depths '
         f'{depths} ({offset} blocks).')
    return merged, depths


def _release_to_canonical(checkpoint: Any,
                          logger: Logger) -> StateDict:
    if not isinstance(checkpoint, Mapping):
        raise ConversionError(
            f'expected a checkpoint dict, got {type(checkpoint).__name__}.')
    entries = [k for k in _RELEASE_MODEL_ENTRIES if k in checkpoint]
    if not entries:
        if checkpoint and all(
                isinstance(v, torch.Tensor) for v in checkpoint.values()):
            _log(logger, 'no "model"/"model_stages" entry: reading the file '
                 'as a bare timm state dict.')
            checkpoint = {'model': checkpoint}
            entries = ['model']
        else:
            raise ConversionError(
                'not a Deep Incubation release: it has neither "model" nor '
                f'"model_stages"; top-level keys: '
                f'{_fmt_keys(map(str, checkpoint))}')
    ignored = [str(k) for k in checkpoint if k not in _RELEASE_MODEL_ENTRIES]
    if ignored:
        _log(logger, f'ignored training state entries: {sorted(ignored)}')
    results: Dict[str, StateDict] = {}
    depths = None
    if 'model_stages' in checkpoint:
        merged, depths = _merge_model_stages(checkpoint['model_stages'],
                                             logger)
        results['model_stages'], _ = _to_canonical(merged, TIMM,
                                                   'model_stages (merged)')
    if 'model' in checkpoint:
        _check_tensors(checkpoint['model'], '"model"')
        model = _drop_stage_aliases(checkpoint['model'], '"model"', depths,
                                    logger)
        results['model'], _ = _to_canonical(model, TIMM, '"model"')
    if len(results) == 2:
        a, b = results['model'], results['model_stages']
        only = sorted(set(a) ^ set(b))
        differ = sorted(k for k in set(a) & set(b)
                        if a[k].shape != b[k].shape or not torch.equal(
                            a[k], b[k]))
        if only or differ:
            raise ConversionError(
                '"model" and "model_stages" disagree: keys in only one '
                f'{_fmt_keys(only)}; different values {_fmt_keys(differ)}')
        _log(logger, f'"model" and "model_stages" agree on all {len(a)} '
             'tensors.')
    return results[entries[0]]


def deep_incubation_to_mmpretrain(checkpoint: Mapping[str, Any],
                                  logger: Logger = print) -> StateDict:
    """Official Deep Incubation release (loaded dict) -> mmpretrain classifier.

    Reads ``model`` and/or ``model_stages`` (checked to agree when both are
    present), drops ``stages.*`` aliases and ignores training state.

    Example:
        >>> ckpt = load_checkpoint_file('vit_b_incubated.pth')
        >>> sd = deep_incubation_to_mmpretrain(ckpt)
    """
    canon = _release_to_canonical(checkpoint, logger)
    out = _from_canonical(_sorted_canonical(canon), MMPRETRAIN)
    _log(logger, _summary('deep-incubation', 'mmpretrain', canon, len(out)))
    return out


def deep_incubation_to_timm(checkpoint: Mapping[str, Any],
                            logger: Logger = print) -> StateDict:
    """Official Deep Incubation release -> plain timm state dict.

    Example:
        >>> timm_model.load_state_dict(deep_incubation_to_timm(ckpt))
    """
    canon = _sorted_canonical(_release_to_canonical(checkpoint, logger))
    _log(logger, _summary('deep-incubation', 'timm', canon, len(canon)))
    return canon


# --------------------------------------------------------------------------
# Files (used by tools/model_converters/*)
# --------------------------------------------------------------------------
def _read_weights(checkpoint: Any, filename: str) -> StateDict:
    from mmincubate.utils.checkpoint import get_state_dict
    return get_state_dict(checkpoint, filename)


#: direction -> (reader of the loaded file, converter, output is timm-plain)
DIRECTIONS: Dict[str, Tuple[Callable[..., Any], Callable[..., StateDict],
                            bool]] = {
    'timm->mmpretrain': (_read_weights, timm_to_mmpretrain, False),
    'mmpretrain->timm': (_read_weights, mmpretrain_to_timm, True),
    'deep_incubation->mmpretrain':
    (lambda ckpt, _: ckpt, deep_incubation_to_mmpretrain, False),
    'mmpretrain->mmseg': (_read_weights, mmpretrain_to_mmseg, False),
}


def convert_file(src: str,
                 dst: str,
                 direction: str,
                 trust_mmengine: bool = False,
                 logger: Logger = print,
                 **kwargs: Any) -> StateDict:
    """Load ``src`` weights-only, convert, save ``dst`` atomically.

    mmpretrain/mmseg outputs are saved as ``{'state_dict': ...}``, timm
    outputs as a plain state dict. ``trust_mmengine`` also accepts the
    mmengine data types of training checkpoints (nothing else). Extra
    ``kwargs`` go to the converter (e.g. ``prefix`` for mmseg).

    Example:
        >>> convert_file('deit_small.pth', 'deit_small_mmpre.pth',
        ...              'timm->mmpretrain')
    """
    from mmincubate.utils.checkpoint import (load_checkpoint_file,
                                             save_checkpoint_atomic)
    if direction not in DIRECTIONS:
        raise ValueError(f'unknown direction {direction!r}; choose from '
                         f'{sorted(DIRECTIONS)}')
    read, convert, plain = DIRECTIONS[direction]
    checkpoint = load_checkpoint_file(src, trust_mmengine=trust_mmengine)
    state = convert(read(checkpoint, src), logger=logger, **kwargs)
    save_checkpoint_atomic(state if plain else {'state_dict': state}, dst)
    _log(logger, f'saved {len(state)} tensors to {dst}')
    return state


def cli_main(direction: str, description: str,
             argv: Optional[Sequence[str]] = None) -> int:
    """Shared ``SRC DST`` command line of ``tools/model_converters``."""
    import argparse
    import sys

    from mmincubate.utils.checkpoint import (CheckpointFormatError,
                                             UnsafeCheckpointError)
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='output checkpoint')
    if direction.startswith('mmpretrain->'):
        parser.add_argument(
            '--trust-mmengine',
            action='store_true',
            help='also accept the mmengine data types (message hub, numpy) '
            'that mmincubate/mmpretrain training checkpoints hold')
    if direction == 'mmpretrain->mmseg':
        parser.add_argument(
            '--prefix',
            default='',
            help='key prefix: "" (default) for a backbone init_cfg/'
            'pretrained, "backbone." for a whole-segmentor load_from')
    args = parser.parse_args(argv)
    kwargs = {'prefix': args.prefix} if direction == 'mmpretrain->mmseg' \
        else {}
    try:
        state = convert_file(
            args.src,
            args.dst,
            direction,
            trust_mmengine=getattr(args, 'trust_mmengine', False),
            **kwargs)
    except (ConversionError, CheckpointFormatError, UnsafeCheckpointError,
            FileNotFoundError) as error:
        print(f'error: {type(error).__name__}: {error}', file=sys.stderr)
        return 1
    print(f'done: {len(state)} tensors written to {args.dst}')
    return 0
