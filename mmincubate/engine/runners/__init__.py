from .formatted_once_config import FormattedOnceConfig
from .safe_checkpoint_runner import SafeCheckpointRunner

__all__ = ['FormattedOnceConfig', 'SafeCheckpointRunner']
