from .deep_incubation import PHASES, DeepIncubation, split_depth

__all__ = ['DeepIncubation', 'PHASES', 'split_depth']
