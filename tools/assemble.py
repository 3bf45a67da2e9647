"""Assemble modules incubated in separate runs into the target classifier.

    python tools/assemble.py MODULE_0.pth MODULE_1.pth ... --out assembled.pth

Each input is a ``module_<i>.pth`` written by ``IncubationHook`` when module
i's incubation ended (any order, one per module). The output is a standard
mmpretrain ``ImageClassifier`` checkpoint (weights only): evaluate it with
``tools/test.py`` and the target's E2E config, or fine-tune it with
``model.target_checkpoint``. An incomplete or mismatched set is an error and
nothing is written.
"""
import argparse
import sys
from typing import List, Optional

from mmincubate.import_gc import imports_outside_gc

with imports_outside_gc():
    from mmincubate.models.assembly import (assemble_modules,
                                            classifier_checkpoint)
    from mmincubate.utils.checkpoint import (CheckpointFormatError,
                                             UnsafeCheckpointError,
                                             save_checkpoint_atomic)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('modules', nargs='+', help='module_<i>.pth files')
    parser.add_argument('--out', required=True, help='output checkpoint')
    args = parser.parse_args(argv)
    try:
        state_dict = assemble_modules(args.modules)
    except (CheckpointFormatError, UnsafeCheckpointError,
            FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    save_checkpoint_atomic(
        classifier_checkpoint(state_dict, role='assembled',
                              sources=list(args.modules)), args.out)
    print(f'assembled {len(args.modules)} modules '
          f'({len(state_dict)} tensors) into {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
