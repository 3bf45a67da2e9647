from .cost_accounting_hook import CostAccountingHook
from .incubation_hook import IncubationHook
from .random_state_hook import RandomStateHook

__all__ = ['CostAccountingHook', 'IncubationHook', 'RandomStateHook']
