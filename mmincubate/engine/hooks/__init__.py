from .incubation_hook import IncubationHook

__all__ = ['IncubationHook']
