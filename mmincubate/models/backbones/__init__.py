from .plain_vit import PlainViT

__all__ = ['PlainViT']
