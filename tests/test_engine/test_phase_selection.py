"""Phase selection and source checks (plain functions, no Runner), and the
dict(...) literal parsing of --cfg-options."""
import argparse

import pytest

from mmincubate.apis.phase_selection import (parse_module_list,
                                             parse_name_list, select_phases)
from mmincubate.models.algorithms.phase_sources import check_phase_sources
from mmincubate.num_modules import num_modules_of
from mmincubate.utils.cfg_options import LiteralDictAction, parse_literal

SCHEDULE = [
    dict(phase='meta', max_epochs=3),
    dict(phase='incubate', max_epochs=2, modules=[0, 1, 2, 3],
         mode='parallel'),
    dict(phase='finetune', max_epochs=4, drop_path_rate=0.1),
]


def test_select_keeps_order_and_settings():
    chosen = select_phases(SCHEDULE, ['finetune', 'incubate'], [2])
    assert [p['phase'] for p in chosen] == ['incubate', 'finetune']
    assert chosen[0] == dict(phase='incubate', max_epochs=2, modules=[2],
                             mode='parallel')
    assert chosen[1] == SCHEDULE[2]
    assert SCHEDULE[1]['modules'] == [0, 1, 2, 3]  # input untouched
    assert select_phases(SCHEDULE) == SCHEDULE


@pytest.mark.parametrize('names, modules, message', [
    (['pretrain'], None, 'unknown phase'),
    (['meta', 'meta'], None, 'twice'),
    (['meta'], [1], r'takes modules \(incubate\)'),
])
def test_select_errors(names, modules, message):
    with pytest.raises(ValueError, match=message):
        select_phases(SCHEDULE, names, modules)


def test_select_phase_missing_from_config():
    with pytest.raises(ValueError, match="no 'finetune' phase"):
        select_phases(SCHEDULE[:2], ['finetune'])


def test_parse_lists():
    assert parse_name_list('meta, incubate', '--phases') == ['meta',
                                                            'incubate']
    assert parse_module_list('3,0', 4) == [3, 0]
    for text, message in [('4', 'does not exist'), ('a', 'not a module'),
                          ('1,1', 'twice'), ('1,', 'empty')]:
        with pytest.raises(ValueError, match=message):
            parse_module_list(text, 4)


def test_num_modules_of():
    """Read without the models: the shell scripts ask it first."""
    import subprocess
    import sys

    from tests.helpers import ROOT
    out = subprocess.run(
        [sys.executable, '-c', 'import sys\n'
         'from mmincubate.num_modules import num_modules_of\n'
         'print(num_modules_of({}), "torch" in sys.modules)'],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ['4', 'False']
    assert num_modules_of(dict(num_modules=6)) == 6
    assert num_modules_of(dict(module_depths=[2, 4, 2])) == 3
    assert num_modules_of(dict()) == 4


def test_sources():
    check_phase_sources(SCHEDULE, 4, None, None, False)
    with pytest.raises(ValueError, match='meta_checkpoint'):
        check_phase_sources(SCHEDULE[1:], 4, None, None, False)
    check_phase_sources(SCHEDULE[1:], 4, 'meta.pth', None, False)
    with pytest.raises(ValueError, match='nothing is incubated'):
        check_phase_sources(SCHEDULE[2:], 4, None, None, False)
    partial = select_phases(SCHEDULE, ['incubate', 'finetune'], [0, 2])
    with pytest.raises(ValueError, match=r'only modules \[0, 2\]'):
        check_phase_sources(partial, 4, 'meta.pth', None, False)
    check_phase_sources(partial, 4, 'meta.pth', 'assembled.pth', False)
    # a resumed run brings its weights
    check_phase_sources(SCHEDULE[2:], 4, None, None, True)


def _parser():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=LiteralDictAction)
    return parser


def test_literal_cfg_options():
    args = _parser().parse_args([
        '--cfg-options',
        'train_cfg.phases=[dict(phase="incubate",max_epochs=1,modules=[2])]',
        'a=1,2', 'b=[x,(1,2)]', 'c=dict(lr=-1e-3, betas=(0.9, 0.99))'
    ])
    assert args.cfg_options == {
        'train_cfg.phases': [dict(phase='incubate', max_epochs=1,
                                  modules=[2])],
        'a': [1, 2],  # mmengine's DictAction parsing for the rest
        'b': ['x', (1, 2)],
        'c': dict(lr=-1e-3, betas=(0.9, 0.99)),
    }


@pytest.mark.parametrize('text', [
    'dict(a=__import__("os").system("true"))', 'dict(**x)', 'dict(a=b)',
    'dict(a=1'
])
def test_literal_rejects_anything_else(text):
    with pytest.raises(ValueError, match='--cfg-options value'):
        parse_literal(text)
