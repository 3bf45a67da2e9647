"""``--out`` for segmentation: predictions only, as compact label maps."""
from typing import Sequence

import torch
from mmengine.evaluator import DumpResults

from mmincubate.registry import METRICS


@METRICS.register_module()
class DumpSegResults(DumpResults):
    """Dump each image's predicted label map (``pred_sem_seg``, uint8 when
    there are at most 256 classes) and meta information to a pickle file.

    mmengine's ``DumpResults`` would keep every sample whole, including
    mmseg's (C, H, W) float ``seg_logits`` and the ground truth: about 200 MB
    per ADE20K image, far more than a host holds for a validation set.

    Example:
        >>> test_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU']),
        ...                   dict(type='mmincubate.DumpSegResults',
        ...                        out_file_path='results.pkl')]
    """

    DROPPED = ('seg_logits', 'gt_sem_seg', 'i_seg_logits')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        kept = []
        for sample in data_samples:
            sample = {k: v for k, v in sample.items() if k not in self.DROPPED}
            pred = sample.get('pred_sem_seg')
            if isinstance(pred, dict) and isinstance(pred.get('data'),
                                                     torch.Tensor):
                data = pred['data']
                if data.numel() and 0 <= int(data.min()) and int(
                        data.max()) < 256:
                    pred = dict(pred, data=data.to(torch.uint8))
                sample['pred_sem_seg'] = pred
            kept.append(sample)
        super().process(data_batch, kept)
