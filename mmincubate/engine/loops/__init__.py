from .incubation_loop import IncubationLoop
from .per_module_grad_clip import PerModuleGradClip
from .schedule import Stage

__all__ = ['IncubationLoop', 'PerModuleGradClip', 'Stage']
