"""Module checkpoints and their assembly into the target classifier.

A module checkpoint holds the weights one module owns, in the target's
naming (``backbone.layers.N.*`` with global block indices; module 0 also the
embeddings, the last module also the final norm and head), plus a
description of the whole target (every key and shape, the split). Assembly
stacks K of them into a standard mmpretrain ``ImageClassifier`` state dict.

Example:
    >>> files = [f'work_dirs/run{i}/module_{i}.pth' for i in range(4)]
    >>> state_dict = assemble_modules(files)
"""
from typing import Dict, List, Sequence

import torch

from mmincubate.utils.checkpoint import (CheckpointFormatError,
                                         get_state_dict, load_checkpoint_file)

MODULE_KIND = 'mmincubate.module'


def module_checkpoint(model, index: int) -> dict:
    """The checkpoint of module ``index`` of a :class:`DeepIncubation`."""
    target_state = model.target.state_dict()
    return dict(
        meta=dict(
            kind=MODULE_KIND,
            index=index,
            num_modules=model.num_modules,
            module_depths=list(model.module_depths),
            target_shapes={k: list(v.shape)
                           for k, v in target_state.items()}),
        state_dict=model.module_state_dict(index))


def classifier_checkpoint(state_dict: Dict[str, torch.Tensor],
                          **meta) -> dict:
    """A weights-only checkpoint that mmpretrain/mmdet/mmseg load."""
    return dict(
        meta=dict(kind='mmincubate.classifier', **meta),
        state_dict={k: v.detach().cpu().clone()
                    for k, v in state_dict.items()})


def assemble_modules(filenames: Sequence[str]) -> Dict[str, torch.Tensor]:
    """Stack module checkpoints (any order) into the target's state dict.

    Raises:
        CheckpointFormatError: a file is not a module checkpoint, the set is
            incomplete or has duplicates, or the files disagree on the
            target (split, keys or shapes).
    """
    if not filenames:
        raise CheckpointFormatError('No module checkpoints given.')
    metas, states = [], []
    for filename in filenames:
        ckpt = load_checkpoint_file(filename)
        meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
        if meta.get('kind') != MODULE_KIND:
            raise CheckpointFormatError(
                f'"{filename}" is not an mmincubate module checkpoint '
                '(module_<i>.pth, written when a module\'s incubation ends).')
        metas.append(meta)
        states.append(get_state_dict(ckpt, filename))
    first = metas[0]
    num_modules = first['num_modules']
    for filename, meta in zip(filenames, metas):
        if meta['module_depths'] != first['module_depths']:
            raise CheckpointFormatError(
                f'"{filename}" splits the target as {meta["module_depths"]} '
                f'but "{filenames[0]}" as {first["module_depths"]}.')
        if meta['target_shapes'] != first['target_shapes']:
            a, b = meta['target_shapes'], first['target_shapes']
            diff = sorted((set(a) ^ set(b))
                          | {k for k in set(a) & set(b) if a[k] != b[k]})
            raise CheckpointFormatError(
                f'"{filename}" and "{filenames[0]}" come from different '
                f'targets; they differ in {diff[:10]}.')
    indices = [m['index'] for m in metas]
    duplicates = sorted({i for i in indices if indices.count(i) > 1})
    if duplicates:
        raise CheckpointFormatError(
            f'Module(s) {duplicates} given more than once: '
            f'{list(filenames)}.')
    missing = sorted(set(range(num_modules)) - set(indices))
    if missing:
        raise CheckpointFormatError(
            f'Module(s) {missing} of {num_modules} are missing; give one '
            'module checkpoint per module.')
    assembled: Dict[str, torch.Tensor] = {}
    for filename, meta, state in zip(filenames, metas, states):
        for key, value in state.items():
            expected = first['target_shapes'].get(key)
            if expected is None or list(value.shape) != expected:
                raise CheckpointFormatError(
                    f'"{filename}" holds {key} {list(value.shape)}, which is '
                    f'not in the target (expected {expected}).')
            assembled[key] = value
    absent: List[str] = sorted(set(first['target_shapes']) - set(assembled))
    if absent:
        raise CheckpointFormatError(
            f'The module checkpoints leave target keys unset: {absent[:20]}.')
    return {k: assembled[k] for k in first['target_shapes']}
