from .formatted_once_config import FormattedOnceConfig
from .exact_resume_runner import ExactResumeRunner

__all__ = ['ExactResumeRunner', 'FormattedOnceConfig']
