from .incubation_loop import IncubationLoop, Stage
from .per_module_grad_clip import PerModuleGradClip

__all__ = ['IncubationLoop', 'PerModuleGradClip', 'Stage']
