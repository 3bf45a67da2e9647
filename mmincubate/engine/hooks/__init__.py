from .cost_accounting_hook import CostAccountingHook
from .incubation_hook import IncubationHook

__all__ = ['CostAccountingHook', 'IncubationHook']
