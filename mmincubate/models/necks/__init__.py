from .simple_feature_pyramid import SimpleFeaturePyramid
from .token_pool_neck import TokenPoolNeck

__all__ = ['SimpleFeaturePyramid', 'TokenPoolNeck']
