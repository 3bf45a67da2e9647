from .base import (BLOCK, EMBED, FINAL, IncubationAdapter, adapter_for,
                   find_adapter)
from .deit3_adapter import MMPretrainDeiT3Adapter
from .timm_vit_adapter import TimmViTAdapter
from .vit_adapter import MMPretrainViTAdapter

__all__ = [
    'IncubationAdapter', 'find_adapter', 'adapter_for', 'EMBED', 'BLOCK',
    'FINAL', 'MMPretrainViTAdapter', 'MMPretrainDeiT3Adapter',
    'TimmViTAdapter'
]
