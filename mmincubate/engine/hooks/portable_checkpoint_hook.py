"""Checkpoints that weights-only loading accepts."""
from mmengine.hooks import Hook

from mmincubate.registry import HOOKS
from mmincubate.utils.checkpoint import make_message_hub_portable


@HOOKS.register_module()
class PortableCheckpointHook(Hook):
    """Keep every checkpoint loadable with ``torch.load(weights_only=True)``.

    mmengine's message hub pickles its buffers with their statistics
    functions, which weights-only loading refuses. Right before a checkpoint
    is written this hook swaps them for
    :class:`~mmincubate.utils.checkpoint.PortableHistoryBuffer` (the same
    data, no functions); its priority is the lowest, so it sees what every
    other hook added. :class:`ExactResumeRunner` registers it when the
    config does not.

    Example:
        >>> custom_hooks = [dict(type='PortableCheckpointHook')]
    """

    priority = 'LOWEST'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        make_message_hub_portable(checkpoint)
