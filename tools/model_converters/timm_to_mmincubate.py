"""timm ViT/DeiT weights -> mmincubate (mmpretrain) ViT classifier.

Writes {"state_dict": ...} for an mmpretrain ImageClassifier.

    python tools/model_converters/timm_to_mmincubate.py SRC DST

Exits with status 1 and the list of offending keys when SRC is not what it
should be; files are read weights-only (a pickle that would run code is
refused with UnsafeCheckpointError).
"""
import os.path as osp
import sys

try:
    from mmincubate.converters import cli_main
except ImportError:  # run from a source checkout without installation
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    from mmincubate.converters import cli_main

if __name__ == '__main__':
    sys.exit(cli_main('timm->mmpretrain', __doc__.strip().splitlines()[0]))
