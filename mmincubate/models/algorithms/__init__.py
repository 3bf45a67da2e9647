from .deep_incubation import DeepIncubation
from .local_learning import LocalLearning
from .module_split import (DEFAULT_NUM_MODULES, PHASES, check_module_indices,
                           is_module_key, module_key, split_depth)
from .phased_algorithm import PhasedAlgorithm, algorithm_class

__all__ = [
    'DeepIncubation', 'LocalLearning', 'PhasedAlgorithm', 'algorithm_class',
    'PHASES', 'DEFAULT_NUM_MODULES', 'split_depth', 'check_module_indices',
    'module_key', 'is_module_key'
]
