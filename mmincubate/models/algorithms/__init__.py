from .deep_incubation import DeepIncubation
from .module_split import (DEFAULT_NUM_MODULES, PHASES, check_module_indices,
                           is_module_key, module_key, split_depth)

__all__ = [
    'DeepIncubation', 'PHASES', 'DEFAULT_NUM_MODULES', 'split_depth',
    'check_module_indices', 'module_key', 'is_module_key'
]
