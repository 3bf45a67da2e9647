"""The ``SRC DST`` command line of the checkpoint converters
(``tools/model_converters/*.py``, one direction each)."""
import argparse
import sys
from typing import Optional, Sequence

from mmincubate.converters import ConversionError, convert_file
from mmincubate.utils.checkpoint import (CheckpointFormatError,
                                         UnsafeCheckpointError)


def convert_main(direction: str, description: str,
             argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``SRC DST`` (plus the direction's options), convert with
    :func:`mmincubate.converters.convert_file`; return the exit status.

    Status 1, with the error on stderr, when the input is not what the
    direction expects, is unsafe or is missing; 0 on success.

    Example:
        >>> # tools/model_converters/mmincubate_to_timm.py
        >>> sys.exit(convert_main('mmpretrain->timm', 'mmincubate -> timm'))
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='output checkpoint')
    if direction.startswith('mmpretrain->'):
        parser.add_argument(
            '--trust-mmengine',
            action='store_true',
            help='also accept the mmengine data types (message hub, numpy) '
            'that mmincubate/mmpretrain training checkpoints hold')
    if direction == 'mmpretrain->mmseg':
        parser.add_argument(
            '--prefix',
            default='',
            help='key prefix: "" (default) for a backbone init_cfg/'
            'pretrained, "backbone." for a whole-segmentor load_from')
    args = parser.parse_args(argv)
    kwargs = {'prefix': args.prefix} if direction == 'mmpretrain->mmseg' \
        else {}
    try:
        state = convert_file(
            args.src,
            args.dst,
            direction,
            trust_mmengine=getattr(args, 'trust_mmengine', False),
            **kwargs)
    except (ConversionError, CheckpointFormatError, UnsafeCheckpointError,
            FileNotFoundError) as error:
        print(f'error: {type(error).__name__}: {error}', file=sys.stderr)
        return 1
    print(f'done: {len(state)} tensors written to {args.dst}')
    return 0
