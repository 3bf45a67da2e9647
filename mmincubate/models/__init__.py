"""Models: the Deep Incubation algorithm and backbone adapters."""
import mmpretrain.models  # noqa: F401  (registers ImageClassifier, ViT, ...)

from .adapters import *  # noqa: F401,F403
from .algorithms import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .wrappers import *  # noqa: F401,F403
