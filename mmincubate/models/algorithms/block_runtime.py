"""How the blocks run: activation checkpointing and regional compilation.

Neither changes a parameter name or a state-dict key: checkpointing replaces
a block's ``forward`` on the instance, compilation uses
``nn.Module.compile`` (the module's ``__call__`` runs compiled code, the
module itself stays the same object).
"""
from typing import Iterable

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

# Every block of a ViT runs one ``forward`` code object. Dynamo keeps one
# cache per code object, and a block variant differs in grad mode, whether
# its input and its weights require grad and whether its drop path is zero:
# about a dozen graphs in a whole Deep Incubation run (meta, incubation with
# frozen prefix and tail, fine-tuning). PyTorch's default limit of 8 would
# silently fall back to eager part-way through.
RECOMPILE_LIMIT = 64


class CheckpointedForward:
    """A block's forward that keeps no activations while training: they are
    recomputed in the backward pass (``torch.utils.checkpoint``, non-reentrant,
    the random state restored, so drop path draws the same masks). Without
    autograd (validation, the frozen meta prefix) it is the plain forward.
    """

    def __init__(self, block: nn.Module) -> None:
        self.block = block

    def __call__(self, *args, **kwargs):
        plain = type(self.block).forward
        if torch.is_grad_enabled():
            return checkpoint(plain, self.block, *args, use_reentrant=False,
                              **kwargs)
        return plain(self.block, *args, **kwargs)


def checkpoint_blocks(blocks: Iterable[nn.Module]) -> int:
    """Recompute the activations of ``blocks`` in the backward pass instead
    of storing them; returns how many blocks it changed (a block already
    checkpointed is left as it is)."""
    changed = 0
    for block in blocks:
        if isinstance(block.__dict__.get('forward'), CheckpointedForward):
            continue
        block.forward = CheckpointedForward(block)
        changed += 1
    return changed


def compile_blocks(blocks: Iterable[nn.Module], **compile_kwargs) -> int:
    """``torch.compile`` every block on its own (regional compilation).

    The embedding, norms, heads and the Python that composes hybrids stay
    eager. A phase switch changes which weights require grad; Dynamo's
    guards see it and compile the new variant on first use (the graphs of
    earlier phases stay cached). Returns the number of compiled blocks.

    Example:
        >>> compile_blocks(model.target.backbone.layers, mode='max-autotune')
    """
    torch._dynamo.config.recompile_limit = max(
        torch._dynamo.config.recompile_limit, RECOMPILE_LIMIT)
    count = 0
    for block in blocks:
        block.compile(**compile_kwargs)
        count += 1
    return count
