"""Evaluation: mmincubate uses mmpretrain's metrics (``Accuracy``, ...).

Importing this (done lazily by the registry) registers them, so the parent
registry finds them under ``default_scope='mmincubate'``.
"""
import mmpretrain.evaluation  # noqa: F401

from .metrics import *  # noqa: F401,F403
