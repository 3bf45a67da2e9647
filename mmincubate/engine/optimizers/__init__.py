from .bf16_autocast_optim_wrapper import BF16AutocastOptimWrapper
from .layer_decay_constructor import LayerDecayOptimWrapperConstructor
from .per_module_grad_clip import PerModuleGradClip, clip_groups_apart

__all__ = [
    'BF16AutocastOptimWrapper', 'LayerDecayOptimWrapperConstructor',
    'PerModuleGradClip', 'clip_groups_apart'
]
