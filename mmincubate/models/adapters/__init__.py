from .vit_adapter import MMPretrainViTAdapter

__all__ = ['MMPretrainViTAdapter']
