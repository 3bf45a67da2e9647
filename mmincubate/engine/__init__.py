"""Engine: runner, loop, hooks and optimizer helpers for Deep Incubation."""
import mmpretrain.engine  # noqa: F401  (mmpretrain's hooks and optimizers)

from .hooks import *  # noqa: F401,F403
from .loops import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .runners import *  # noqa: F401,F403
