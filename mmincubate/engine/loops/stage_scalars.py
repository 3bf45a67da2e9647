"""The logged scalars at a stage switch."""
from mmincubate.models.algorithms.module_split import is_module_key


def forget_module_scalars(message_hub) -> None:
    """Drop the previous stage's per-module scalars (``loss_module2``,
    ``grad_norm_module0``) so they are not logged again as stale values.

    Example:
        >>> forget_module_scalars(runner.message_hub)
    """
    scalars = message_hub.log_scalars
    for key in [k for k in scalars if is_module_key(k)]:
        scalars.pop(key)
