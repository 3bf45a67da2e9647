from .dump_seg_results import DumpSegResults

__all__ = ['DumpSegResults']
