"""The schedule as plain functions: phases -> stages, no Runner."""
import pytest

from mmincubate.engine.loops import schedule
from mmincubate.engine.loops.schedule import (completes_assembly, epoch_at,
                                              lay_out, parse_phases,
                                              scheduler_cfgs, signature,
                                              stage_index_at, validation_due)

OPTIM = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3))
SCHED = [dict(type='CosineAnnealingLR', by_epoch=True)]


def paper_like():
    return parse_phases([
        dict(phase='meta', max_epochs=3, val_interval=2),
        dict(phase='incubate', max_iters=25, modules=[2, 0],
             mode='sequential', drop_path_rate=0.1,
             param_scheduler=dict(type='LinearLR', by_epoch=False)),
        dict(phase='incubate', max_epochs=1, modules=[1, 3]),
        dict(phase='finetune', max_epochs=2,
             optim_wrapper=dict(clip_grad=dict(max_norm=1.0),
                                optimizer=dict(lr=5e-4))),
    ], num_modules=4, optim_wrapper=OPTIM, param_scheduler=SCHED)


def test_parse_expands_sequential_and_merges_settings():
    stages = paper_like()
    assert [s.name for s in stages] == [
        'meta', 'incubate[2]', 'incubate[0]', 'incubate[1, 3]', 'finetune']
    meta, inc2, inc0, inc13, finetune = stages
    assert meta.val_interval == 2 and meta.drop_path_rate == 0.0
    assert inc2.drop_path_rate == inc0.drop_path_rate == 0.1
    assert inc2.param_scheduler == [dict(type='LinearLR', by_epoch=False)]
    assert meta.param_scheduler == SCHED and meta.param_scheduler is not SCHED
    assert finetune.optim_wrapper == dict(
        type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-4),
        clip_grad=dict(max_norm=1.0))
    assert meta.optim_wrapper == OPTIM
    assert parse_phases([dict(phase='incubate', max_iters=1)],
                        num_modules=3)[0].modules == (0, 1, 2)


def test_lay_out_places_stages_on_fresh_epochs():
    stages = paper_like()
    assert lay_out(stages, epoch_length=10) == (30 + 25 + 25 + 10 + 20, 12)
    spans = [(s.begin_iter, s.end_iter, s.begin_epoch, s.num_epochs)
             for s in stages]
    # 25 iterations take 3 epochs (the last one partial); the next stage
    # starts on a new pass over the data
    assert spans == [(0, 30, 0, 3), (30, 55, 3, 3), (55, 80, 6, 3),
                     (80, 90, 9, 1), (90, 110, 10, 2)]
    assert [stage_index_at(stages, i) for i in (0, 29, 30, 54, 55, 109,
                                                110, 500)] == \
        [0, 0, 1, 1, 2, 4, 4, 4]
    assert [epoch_at(stages, i, 10) for i in (0, 9, 10, 30, 45, 54, 55,
                                              90, 110)] == \
        [0, 0, 1, 3, 4, 5, 6, 10, 12]
    assert signature(stages)[1] == ['incubate', [2], 30, 55]
    with pytest.raises(ValueError, match='empty'):
        lay_out(stages, 0)


def test_scheduler_ends_default_to_the_stage_end():
    stages = paper_like()
    lay_out(stages, epoch_length=10)
    assert scheduler_cfgs(stages[0]) == [
        dict(type='CosineAnnealingLR', by_epoch=True, end=3)]
    assert scheduler_cfgs(stages[1]) == [
        dict(type='LinearLR', by_epoch=False, end=25)]
    given = parse_phases([dict(phase='meta', max_epochs=4,
                               param_scheduler=[dict(type='LinearLR',
                                                     end=1)])], 4)
    assert scheduler_cfgs(given[0]) == [dict(type='LinearLR', end=1)]
    iters = parse_phases([dict(phase='meta', max_iters=4)], 4,
                         param_scheduler=SCHED)
    lay_out(iters, 10)
    with pytest.raises(ValueError, match='explicit end or by_epoch=False'):
        scheduler_cfgs(iters[0])


def test_validation_due_by_interval_not_at_the_end():
    meta = parse_phases([dict(phase='meta', max_epochs=6, val_interval=2,
                              val_begin=3)], 4)
    lay_out(meta, 10)
    due = [e for e in range(7) if validation_due(meta[0], e, e * 10)]
    assert due == [4]  # not 2 (before val_begin), not 6 (the stage end)
    by_iter = parse_phases([dict(phase='meta', max_iters=12,
                                 val_interval=5)], 4)
    lay_out(by_iter, 100)
    assert [i for i in range(13)
            if validation_due(by_iter[0], 0, i)] == [5, 10]


def test_assembly_completes_after_the_last_incubation():
    stages = paper_like()

    def incubates(stage):
        return stage.phase == 'incubate'

    assert not completes_assembly(stages, 2, [2, 0], 4, incubates)
    assert completes_assembly(stages, 3, [2, 0, 1, 3], 4, incubates)
    # every module incubated, but a later stage incubates again
    assert not completes_assembly(stages, 1, [0, 1, 2, 3], 4, incubates)


@pytest.mark.parametrize('phases, message', [
    ([], 'at least one phase'),
    ([dict(phase='pretrain', max_iters=1)], 'choose from'),
    ([dict(phase='meta', max_iters=1, lr=1)], "unknown keys \\['lr'\\]"),
    ([dict(phase='meta')], 'exactly one'),
    ([dict(phase='meta', max_epochs=0)], 'at least 1'),
    ([dict(phase='meta', max_epochs=1, modules=[0])], 'only incubate'),
    ([dict(phase='incubate', max_epochs=1, mode='both')], 'parallel'),
    ([dict(phase='incubate', max_epochs=1, modules=[4])],
     'module 4 does not exist'),
    ([dict(phase='incubate', max_epochs=1, modules=[1, 1])], 'twice'),
    ([dict(phase='incubate', max_epochs=1, modules=[])], 'no modules'),
    ([dict(phase='meta', max_epochs=1),
      dict(phase='incubate', max_epochs=1, modules=['0'])], 'train_cfg.phases.1 '),
])
def test_bad_phases(phases, message):
    with pytest.raises(ValueError, match=message):
        parse_phases(phases, num_modules=4)


def test_phase_keys_are_what_the_loop_documents():
    assert schedule.PHASE_KEYS == {
        'phase', 'max_epochs', 'max_iters', 'val_interval', 'val_begin',
        'drop_path_rate', 'optim_wrapper', 'param_scheduler', 'modules',
        'mode'}
