"""The DDP wrapper config of a distributed run."""
from typing import Optional

import torch


def ddp_wrapper_cfg(given: Optional[dict], model: torch.nn.Module,
                    find_unused_parameters: bool = False) -> Optional[dict]:
    """The wrapper owning the per-hybrid step for a model that declares
    ``steps_hybrid_by_hybrid`` (unless ``given`` names another); mmengine's
    defaults (``broadcast_buffers=False``, ``find_unused_parameters``) when
    the config gives none, or on a CPU, where the module is wrapped without
    ``device_ids``. None: mmengine's own choice.

    Example:
        >>> ddp_wrapper_cfg(None, deep_incubation_model)['type']
        'mmincubate.PerHybridDistributedDataParallel'
    """
    on_cpu = not torch.cuda.is_available()
    cfg = dict(given or {})
    if hasattr(model, 'steps_hybrid_by_hybrid'):
        cfg.setdefault('type', 'mmincubate.PerHybridDistributedDataParallel')
    if given is None or on_cpu:
        cfg.setdefault('broadcast_buffers', False)
        cfg.setdefault('find_unused_parameters', find_unused_parameters)
    if on_cpu:
        cfg.setdefault('type', 'MMDistributedDataParallel')
        cfg['device_ids'] = None  # CPU module
    return cfg if 'type' in cfg or given is not None else None
