"""The official Deep Incubation release format -> timm or mmpretrain.

A release file is a dict with ``model`` (timm names plus ``stages.*`` aliases
of the blocks) and/or ``model_stages`` (one timm-named state dict per module,
block indices local to the module), beside training state (optimizer,
scheduler, epoch, args) that is ignored. When both entries are present they
must agree. The aliases are dropped and reported, after checking the ones
that can be mapped to their blocks.
"""
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch

from .layouts import (CANONICAL_BLOCK_RE, MMPRETRAIN, TIMM, TIMM_BLOCK_PARAMS,
                      ConversionError, Logger, StateDict, block_indices,
                      canonicalize, check_tensors, conversion_summary,
                      format_keys, report, timm_order, to_layout)

# The entries of a release file that hold weights; the rest is training state.
_RELEASE_MODEL_ENTRIES = ('model', 'model_stages')
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
    n_blocks = len(block_indices(kept))
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
            f'{format_keys(mismatched)}')
    report(logger, f'{what}: dropped {len(aliases) + len(unparsed)} stages.* '
           f'alias keys ({verified} verified equal to their blocks with '
           f'module depths {depths}, {len(unchecked)} unmapped and '
           'unchecked).')
    return kept


def _merge_model_stages(stages: Any,
                        logger: Logger) -> Tuple[StateDict, List[int]]:
    """Concatenate per-module state dicts; return them and the depths."""
    if not isinstance(stages, (list, tuple)) or not stages:
        raise ConversionError('"model_stages" must be a non-empty list of '
                              f'state dicts, got {type(stages).__name__}.')
    merged: StateDict = {}
    depths: List[int] = []
    offset = 0
    conflicts = []
    for k, part in enumerate(stages):
        what = f'model_stages[{k}]'
        check_tensors(part, what)
        part = _drop_stage_aliases(part, what, None, logger)
        local = block_indices(part)
        if local != list(range(len(local))):
            raise ConversionError(
                f'{what}: local block indices must be 0..n-1, got {local}.')
        for key, value in part.items():
            match = CANONICAL_BLOCK_RE.match(key)
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
            f'values: {format_keys(conflicts)}')
    report(logger, f'model_stages: merged {len(stages)} modules with depths '
           f'{depths} ({offset} blocks).')
    return merged, depths


def _release_to_canonical(checkpoint: Any, logger: Logger) -> StateDict:
    """The canonical weights of a release file (both entries checked)."""
    if not isinstance(checkpoint, Mapping):
        raise ConversionError(
            f'expected a checkpoint dict, got {type(checkpoint).__name__}.')
    entries = [k for k in _RELEASE_MODEL_ENTRIES if k in checkpoint]
    if not entries:
        if checkpoint and all(
                isinstance(v, torch.Tensor) for v in checkpoint.values()):
            report(logger, 'no "model"/"model_stages" entry: reading the '
                   'file as a bare timm state dict.')
            checkpoint = {'model': checkpoint}
            entries = ['model']
        else:
            raise ConversionError(
                'not a Deep Incubation release: it has neither "model" nor '
                f'"model_stages"; top-level keys: '
                f'{format_keys(map(str, checkpoint))}')
    ignored = [str(k) for k in checkpoint if k not in _RELEASE_MODEL_ENTRIES]
    if ignored:
        report(logger, f'ignored training state entries: {sorted(ignored)}')
    results: Dict[str, StateDict] = {}
    depths = None
    if 'model_stages' in checkpoint:
        merged, depths = _merge_model_stages(checkpoint['model_stages'],
                                             logger)
        results['model_stages'], _ = canonicalize(merged, TIMM,
                                                  'model_stages (merged)')
    if 'model' in checkpoint:
        check_tensors(checkpoint['model'], '"model"')
        model = _drop_stage_aliases(checkpoint['model'], '"model"', depths,
                                    logger)
        results['model'], _ = canonicalize(model, TIMM, '"model"')
    if len(results) == 2:
        a, b = results['model'], results['model_stages']
        only = sorted(set(a) ^ set(b))
        differ = sorted(k for k in set(a) & set(b)
                        if a[k].shape != b[k].shape or not torch.equal(
                            a[k], b[k]))
        if only or differ:
            raise ConversionError(
                '"model" and "model_stages" disagree: keys in only one '
                f'{format_keys(only)}; different values {format_keys(differ)}')
        report(logger, f'"model" and "model_stages" agree on all {len(a)} '
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
    out = to_layout(timm_order(canon), MMPRETRAIN)
    report(logger, conversion_summary('deep-incubation', 'mmpretrain', canon,
                                      len(out)))
    return out


def deep_incubation_to_timm(checkpoint: Mapping[str, Any],
                            logger: Logger = print) -> StateDict:
    """Official Deep Incubation release -> plain timm state dict.

    Example:
        >>> timm_model.load_state_dict(deep_incubation_to_timm(ckpt))
    """
    canon = timm_order(_release_to_canonical(checkpoint, logger))
    report(logger, conversion_summary('deep-incubation', 'timm', canon,
                                      len(canon)))
    return canon
