from .base import (BLOCK, EMBED, FINAL, IncubationAdapter, adapter_for,
                   find_adapter, find_backbones, freeze_never_used)
from .deit3_adapter import MMPretrainDeiT3Adapter
from .timm_vit_adapter import TimmViTAdapter
from .vit_adapter import MMPretrainViTAdapter

__all__ = [
    'IncubationAdapter', 'find_adapter', 'adapter_for', 'find_backbones',
    'freeze_never_used', 'EMBED', 'BLOCK',
    'FINAL', 'MMPretrainViTAdapter', 'MMPretrainDeiT3Adapter',
    'TimmViTAdapter'
]
