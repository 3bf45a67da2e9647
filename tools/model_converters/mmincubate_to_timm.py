"""mmincubate (mmpretrain) ViT classifier -> plain timm ViT weights.

    python tools/model_converters/mmincubate_to_timm.py SRC DST
        [--trust-mmengine]

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
    sys.exit(convert_main('mmpretrain->timm', __doc__.strip().splitlines()[0]))
