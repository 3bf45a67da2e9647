"""timm ViT/DeiT weights -> mmincubate (mmpretrain) ViT classifier.

Writes {"state_dict": ...} for an mmpretrain ImageClassifier.

    python tools/model_converters/timm_to_mmincubate.py SRC DST

Exits with status 1 and the list of offending keys when SRC is not what it
should be; files are read weights-only (a pickle that would run code is
refused with UnsafeCheckpointError).
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))  # the source checkout, installed or not
from mmincubate.apis.convert_checkpoint import convert_main  # noqa: E402

if __name__ == '__main__':
    sys.exit(convert_main('timm->mmpretrain', __doc__.strip().splitlines()[0]))
