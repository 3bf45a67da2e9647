"""New backbones by adapter + config: DeiT3 and timm ViTs incubate end to
end on digits, and their exports load into the E2E twin configs."""
import os.path as osp

import pytest
import torch

from mmincubate.models.assembly import assemble_modules
from mmincubate.registry import MODELS
from mmincubate.utils import load_checkpoint_file
from tests.helpers import ROOT, short_cfg, train

# (incubation config, E2E twin, cfg options of both, adapter)
CASES = {
    'deit3': ('deit3_tiny_k4_digits', 'deit3_tiny_e2e_digits', {},
              'MMPretrainDeiT3Adapter'),
    'timm_vit': ('timm_vit_small_k4_digits', 'timm_vit_small_e2e_digits', {},
                 'TimmViTAdapter'),
    'timm_deit3': ('timm_vit_small_k4_digits', 'timm_vit_small_e2e_digits',
                   dict(model_name='deit3_small_patch16_224'),
                   'TimmViTAdapter'),
    'timm_reg4': ('timm_vit_reg4_k4_digits', 'timm_vit_reg4_e2e_digits', {},
                  'TimmViTAdapter'),
}
PHASES = [
    dict(phase='meta', max_iters=4),
    dict(phase='incubate', max_iters=3, drop_path_rate=0.1),
    dict(phase='finetune', max_iters=3, drop_path_rate=0.1),
]


def load(kind, name, backbone_options, work_dir='.'):
    """The config with iteration-long phases (``PHASES``) and 64 validation
    images, its backbone updated by ``backbone_options``."""
    path = osp.join(ROOT, 'configs', kind, f'{name}.py')
    cfg = short_cfg(work_dir, PHASES if kind == 'incubate' else None,
                    config=path, val_images=64, checkpoint_interval=100)
    backbone = cfg.model.target.backbone if kind == 'incubate' else \
        cfg.model.backbone
    backbone.update(backbone_options)
    return cfg


@pytest.mark.parametrize('case', sorted(CASES))
def test_backbone_incubates_end_to_end(case, tmp_path):
    incubate, e2e, options, adapter = CASES[case]
    runner, _ = train(load('incubate', incubate, options, tmp_path))
    model = runner.model
    assert type(model.adapter).__name__ == adapter
    assert len(model.adapter.blocks(model.meta.backbone)) == 4
    assert set(runner.train_loop.phase_metrics) == {
        'meta', 'hybrid0', 'hybrid1', 'hybrid2', 'hybrid3', 'assembled',
        'final'}
    stacked = assemble_modules(
        [str(tmp_path / f'module_{i}.pth') for i in range(4)])
    assembled = load_checkpoint_file(
        str(tmp_path / 'assembled.pth'))['state_dict']
    assert set(stacked) == set(assembled)
    assert all(torch.equal(stacked[k], assembled[k]) for k in stacked)
    # the exports load strictly into the E2E twin and predict the same
    twin = MODELS.build(load('e2e', e2e, options).model).eval()
    final = load_checkpoint_file(str(tmp_path / 'final.pth'))['state_dict']
    twin.load_state_dict(final, strict=True)
    images = torch.randn(4, 1, 8, 8)
    model.eval()
    with torch.no_grad(), model.evaluate_as('target'):
        torch.testing.assert_close(twin(images), model(images),
                                   rtol=0, atol=0)


@pytest.mark.parametrize('case', sorted(CASES))
def test_only_the_module_gets_gradients(case):
    incubate, _, options, _ = CASES[case]
    model = MODELS.build(load('incubate', incubate, options).model)
    owners = {n: model.owner_of(n) for n, _ in model.target.named_parameters()}
    # the embedding belongs to module 0, the final norm to the last module
    assert {o for n, o in owners.items() if '.blocks.' not in n
            and '.layers.' not in n and 'pos_embed' in n} == {0}
    assert {o for n, o in owners.items() if 'head' in n} == {3}
    assert sorted(set(owners.values())) == [0, 1, 2, 3]
    model.set_phase('incubate', [2], drop_path_rate=0.0)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i % 10) for i in range(4)]
    losses = model.loss(torch.randn(4, 1, 8, 8), samples)
    sum(losses.values()).backward()
    for name, param in model.named_parameters():
        owned = name.startswith('target.') and \
            owners[name[len('target.'):]] == 2
        assert param.requires_grad == owned, name
        assert (param.grad is not None) == (
            owned and param.grad is not None), name
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.module_parameters(2))


def test_timm_drop_path_rates_reach_every_block():
    model = MODELS.build(load('incubate', 'timm_vit_small_k4_digits',
                              {}).model)
    model.set_phase('finetune', drop_path_rate=0.7)
    rates = [block.drop_path1.drop_prob if hasattr(block.drop_path1,
                                                   'drop_prob') else 0.0
             for block in model.target.backbone.timm_model.blocks]
    # 8 blocks, evenly spaced from 0 to 0.7
    assert rates == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])


@pytest.mark.parametrize('kind, name', [
    ('incubate', 'deit3_tiny_k4_digits'), ('e2e', 'deit3_tiny_e2e_digits')])
def test_never_used_parameters_are_frozen_so_every_trainable_one_learns(
        kind, name):
    """What DDP needs without find_unused_parameters: after the runner's
    freezing, every trainable parameter gets a gradient."""
    from mmpretrain.structures import DataSample

    from mmincubate.models.adapters import freeze_never_used
    model = MODELS.build(load(kind, name, {}).model)
    if kind == 'incubate':
        model.set_phase('finetune')
    frozen = freeze_never_used(model)
    # ln2.weight and .bias of the 8 trainable blocks (the meta model is
    # frozen while fine-tuning)
    assert frozen == 2 * 8
    assert all(not p.requires_grad for n, p in model.named_parameters()
               if '.ln2.' in n)
    samples = [DataSample().set_gt_label(i % 10) for i in range(4)]
    sum(model.loss(torch.randn(4, 1, 8, 8), samples).values()).backward()
    assert all(p.grad is not None for p in model.parameters()
               if p.requires_grad)
    assert freeze_never_used(MODELS.build(
        load('e2e', 'vit_tiny_e2e_digits', {}).model)) == 0
