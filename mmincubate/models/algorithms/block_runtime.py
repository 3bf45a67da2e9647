"""How the blocks run: activation checkpointing and regional compilation.

Neither changes a parameter name or a state-dict key: checkpointing wraps
the call of a block where the algorithm composes blocks itself (a backbone's
own forward uses its own switch, ``IncubationAdapter.set_grad_checkpointing``),
compilation uses ``nn.Module.compile`` (the module's ``__call__`` runs
compiled code, the module itself stays the same object).
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


def run_block(block: nn.Module, tokens: torch.Tensor,
              checkpointed: bool) -> torch.Tensor:
    """``block(tokens)``; with ``checkpointed`` and autograd on, its
    activations are not kept but recomputed in the backward pass
    (``torch.utils.checkpoint``, non-reentrant, the random state restored,
    so drop path draws the same masks). Without autograd (validation, the
    frozen meta prefix) it is the plain call.

    Example:
        >>> tokens = run_block(blocks[3], tokens, checkpointed=True)
    """
    if checkpointed and torch.is_grad_enabled():
        return checkpoint(block, tokens, use_reentrant=False)
    return block(tokens)


def checkpointed_features(adapter, classifier: nn.Module,
                          inputs: torch.Tensor) -> tuple:
    """The classifier's features (backbone, then neck) with every block
    run through :func:`run_block`, for a backbone with no checkpointing
    switch of its own; ``adapter`` composes it (an ``IncubationAdapter``)."""
    backbone = adapter.backbone_of(classifier)
    tokens, context = adapter.embed(backbone, inputs)
    for block in adapter.blocks(backbone):
        tokens = run_block(block, tokens, checkpointed=True)
    return adapter.neck(classifier,
                        adapter.finalize(backbone, tokens, context))


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
