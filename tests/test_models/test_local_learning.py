"""LocalLearning (DGL, InfoPro): gradients stop at module boundaries, each
module's gradient is that of its own local loss, InfoPro's weights, and
the errors of bad settings and schedules."""
import pytest
import torch

from mmincubate.apis import apply_schedule_args
from mmincubate.models.algorithms import LocalLearning
from mmincubate.models.algorithms.local_heads import local_weight
from tests.helpers import ROOT, random_batch, short_cfg, tiny_target

DGL = f'{ROOT}/configs/local/vit_tiny_k4_digits_dgl.py'
INFOPRO = f'{ROOT}/configs/local/vit_tiny_k4_digits_infopro.py'


def build(**kwargs) -> LocalLearning:
    torch.manual_seed(0)
    kwargs.setdefault('num_modules', 4)
    model = LocalLearning(target=tiny_target(), **kwargs)
    model.init_weights()
    # the heads start at zero (mmpretrain's ViT head init), which would
    # send no gradient back to the tokens at all
    for head in [model.target.head, *[a.head for a in
                                      model.aux_heads.values()]]:
        for param in head.parameters():
            param.data.normal_(0, 0.1)
    model.set_phase('local')
    return model


def module_grads(model, index):
    return [p.grad for p in model.local_parameters(index)]


@pytest.mark.parametrize('kwargs', [
    dict(aux_net='linear'),
    dict(aux_net='block', lambda_ce=(0.0, 1.0), lambda_rec=(1.0, 0.0)),
], ids=['dgl', 'infopro-block'])
def test_no_gradient_crosses_a_module_boundary(kwargs):
    model = build(**kwargs)
    inputs, samples = random_batch()
    losses = dict(model.local_losses(inputs, samples))
    sum(losses[1].values()).backward()
    for index in (0, 2, 3):
        assert all(g is None or not g.any()
                   for g in module_grads(model, index)), index
    assert any(g is not None and g.abs().sum() > 0
               for g in module_grads(model, 1))


@pytest.mark.parametrize('kwargs', [
    dict(aux_net='linear'),
    dict(aux_net='block', lambda_ce=(0.0, 1.0), lambda_rec=(1.0, 0.0)),
], ids=['dgl', 'infopro-block'])
def test_each_module_gets_its_own_local_loss_gradient(kwargs):
    model = build(**kwargs)
    inputs, samples = random_batch()
    loss, _ = model.parse_losses(model.loss(inputs, samples))
    loss.backward()
    together = {i: [g.clone() for g in module_grads(model, i)]
                for i in range(4)}
    for index in range(4):
        model.zero_grad(set_to_none=True)
        losses = dict(model.local_losses(inputs, samples))
        sum(losses[index].values()).backward()
        for a, b in zip(together[index], module_grads(model, index)):
            assert torch.allclose(a, b, atol=1e-7, rtol=1e-5), index


def test_infopro_weights_follow_the_official_linear_schedule():
    # ratio = i / (K - 2) over modules 0..K-2 (0 when K <= 2)
    assert [local_weight((1.0, 0.0), i, 4) for i in range(3)] == \
        [1.0, 0.5, 0.0]
    assert [local_weight((5.0, 0.0), i, 8) for i in range(7)] == \
        pytest.approx([5 * (1 - i / 6) for i in range(7)])
    assert local_weight((0.3, 0.9), 0, 2) == 0.3
    assert local_weight(0.7, 5, 8) == 0.7
    model = build(lambda_ce=(0.0, 1.0), lambda_rec=(1.0, 0.0))
    assert model.lambda_ce == [0.0, 0.5, 1.0]
    assert model.lambda_rec == [1.0, 0.5, 0.0]
    # only the networks a module's loss uses exist
    assert sorted(model.aux_heads) == ['1', '2']
    assert sorted(model.decoders) == ['0', '1']


@pytest.mark.parametrize('kwargs, message', [
    (dict(aux_net='mlp'), r"aux_net='mlp': choose from \('linear', 'block'"),
    (dict(lambda_ce=0.0), 'Module 0 would train on nothing'),
    (dict(lambda_ce=(1.0, 0.0)), 'Module 2 would train on nothing'),
    (dict(lambda_rec=-1.0), 'must not be negative'),
    (dict(num_modules=3), 'does not divide the target depth 8'),
])
def test_bad_settings_are_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build(**kwargs)


def test_exports_are_the_target_alone():
    model = build(aux_net='block', lambda_ce=(0.0, 1.0),
                  lambda_rec=(1.0, 0.0))
    files = model.phase_exports('local', (), True, iter=3, epoch=0)
    assert list(files) == ['assembled.pth']
    state = files['assembled.pth']['state_dict']
    assert set(state) == set(model.target.state_dict())
    assert list(model.phase_exports('finetune', (), False)) == ['final.pth']
    with pytest.raises(ValueError, match='evaluates the target only'):
        with model.evaluate_as('meta'):
            pass


@pytest.mark.parametrize('phases, options, message', [
    ([dict(phase='finetune', max_iters=1)], {},
     'nothing is trained locally before it'),
    ([dict(phase='local', max_iters=1, modules=[0])], {},
     'takes no modules/mode; only no phase of this algorithm does'),
    ([dict(phase='incubate', max_iters=1)], {},
     r"unknown phase 'incubate'; choose from local, finetune"),
    ([dict(phase='local', max_iters=1)], dict(phases='meta'),
     r"--phases: unknown phase 'meta'; choose from local, finetune"),
    ([dict(phase='local', max_iters=1)], dict(modules='1'),
     'needs a phase that takes modules'),
])
def test_schedule_errors_before_anything_is_built(tmp_path, phases, options,
                                                  message):
    cfg = short_cfg(tmp_path, phases, config=DGL)
    with pytest.raises(ValueError, match=message):
        apply_schedule_args(cfg, **options)
    assert not list(tmp_path.iterdir())


def test_finetune_alone_runs_from_a_target_checkpoint(tmp_path):
    cfg = short_cfg(tmp_path, [dict(phase='local', max_iters=1),
                               dict(phase='finetune', max_iters=1)],
                    config=INFOPRO)
    cfg.model.target_checkpoint = 'assembled.pth'
    stages = apply_schedule_args(cfg, phases='finetune')
    assert [s.name for s in stages] == ['finetune']


def test_layer_decay_treats_auxiliary_networks_as_heads():
    from mmengine.optim import build_optim_wrapper
    model = build(aux_net='block')
    wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=1e-3),
        constructor='mmincubate.LayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=0.5)))
    scale = {name: group['lr_scale']
             for group in wrapper.optimizer.param_groups
             for name in group['param_names']}
    assert scale['aux_heads.0.backbone.layers.0.attn.qkv.weight'] == 1.0
    assert scale['target.head.layers.head.weight'] == 1.0
    # the target's blocks decay over its own 8 blocks
    assert scale['target.backbone.layers.0.attn.qkv.weight'] == 0.5**8
