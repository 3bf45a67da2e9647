"""timm ``VisionTransformer``/DeiT <-> mmpretrain ``ImageClassifier``."""
from typing import Mapping

import torch

from .layouts import (MMPRETRAIN, TIMM, Logger, StateDict, canonicalize,
                      conversion_summary, report, timm_order, to_layout)


def timm_to_mmpretrain(state: Mapping[str, torch.Tensor],
                       logger: Logger = print) -> StateDict:
    """timm ``VisionTransformer``/DeiT state dict -> mmpretrain classifier.

    Example:
        >>> sd = timm_to_mmpretrain(timm_model.state_dict())
        >>> mmpretrain_classifier.load_state_dict(sd)  # strict
    """
    canon, _ = canonicalize(state, TIMM, 'timm state dict')
    out = to_layout(timm_order(canon), MMPRETRAIN)
    report(logger, conversion_summary('timm', 'mmpretrain', canon, len(out)))
    return out


def mmpretrain_to_timm(state: Mapping[str, torch.Tensor],
                       logger: Logger = print) -> StateDict:
    """mmpretrain ViT ``ImageClassifier`` state dict -> timm names.

    Example:
        >>> sd = mmpretrain_to_timm(classifier.state_dict())
        >>> timm_model.load_state_dict(sd)
    """
    canon, _ = canonicalize(state, MMPRETRAIN, 'mmpretrain state dict')
    out = timm_order(canon)
    report(logger, conversion_summary('mmpretrain', 'timm', canon, len(out)))
    return out
