from .grad_all_reduce import GradAllReduce
from .per_hybrid_ddp import PerHybridDistributedDataParallel

__all__ = ['GradAllReduce', 'PerHybridDistributedDataParallel']
