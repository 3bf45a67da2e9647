from .cost_accounting_hook import CostAccountingHook
from .incubation_hook import IncubationHook
from .portable_checkpoint_hook import PortableCheckpointHook
from .random_state_hook import RandomStateHook

__all__ = ['CostAccountingHook', 'IncubationHook', 'PortableCheckpointHook',
           'RandomStateHook']
