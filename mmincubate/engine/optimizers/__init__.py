from .bf16_autocast_optim_wrapper import BF16AutocastOptimWrapper
from .layer_decay_constructor import LayerDecayOptimWrapperConstructor

__all__ = ['BF16AutocastOptimWrapper', 'LayerDecayOptimWrapperConstructor']
