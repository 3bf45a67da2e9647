from .incubation_loop import IncubationLoop
from .schedule import Stage

__all__ = ['IncubationLoop', 'Stage']
