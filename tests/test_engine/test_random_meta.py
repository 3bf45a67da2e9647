"""The ablation: incubation inside an untrained, frozen meta model
(``model.meta_init='random'``, configs/incubate/
vit_tiny_k4_digits_random_meta.py), and the opt-in it needs."""
import os.path as osp

import torch
from mmengine.hooks import Hook

from mmincubate.engine.runners import ExactResumeRunner
from tests.helpers import ROOT, run_tool, short_cfg

CONFIG = osp.join(ROOT, 'configs/incubate/vit_tiny_k4_digits_random_meta.py')
PHASES = [dict(phase='incubate', max_iters=2, val_interval=10),
          dict(phase='finetune', max_iters=2, val_interval=10)]


def test_the_meta_model_is_never_trained_or_loaded(tmp_path):
    runner = ExactResumeRunner.from_cfg(short_cfg(tmp_path, PHASES,
                                                     config=CONFIG))
    loaded = []
    model = runner.model
    model.load_classifier_weights = lambda *a: loaded.append(a)
    initial = {}

    class KeepInitialMeta(Hook):
        """The meta weights as training starts (after init_weights)."""

        def before_train(self, runner_):
            initial.update({k: v.clone()
                            for k, v in model.meta.state_dict().items()})

    runner.register_hook(KeepInitialMeta())
    runner.train()
    assert loaded == []
    assert not osp.exists(tmp_path / 'meta.pth')
    for name in ('module_0.pth', 'assembled.pth', 'final.pth'):
        assert osp.isfile(tmp_path / name), name
    # frozen at its initialisation throughout
    assert initial and all(torch.equal(v, initial[k])
                           for k, v in model.meta.state_dict().items())
    assert not any(p.requires_grad for p in model.meta.parameters())


def test_the_opt_in_is_needed_and_exclusive(tmp_path):
    where = tmp_path / 'never'
    for options, message in [
            (['model.meta_init=None'], "set model.meta_init='random'"),
            (['train_cfg.phases=[dict(phase="meta",max_epochs=1),'
              'dict(phase="incubate",max_epochs=1)]'],
             'but the schedule trains one in a "meta" phase')]:
        result = run_tool('train.py', CONFIG, '--work-dir', where,
                          '--cfg-options', *options)
        assert result.returncode == 1
        assert message in result.output.strip().splitlines()[-1]
        assert not where.exists()
    result = run_tool('train.py', CONFIG, '--work-dir', where, '--dry-run')
    assert result.returncode == 0 and 'model.meta_init: random' in \
        result.output
