import copy

import pytest
import torch

from mmincubate.models import DeepIncubation
from mmincubate.models.algorithms.meta_prefix import meta_prefixes
from mmincubate.utils import CheckpointFormatError
from tests.helpers import random_batch as batch
from tests.helpers import tiny_target


def build(depth=8, **kwargs):
    torch.manual_seed(0)
    model = DeepIncubation(target=tiny_target(depth=depth), **kwargs)
    model.init_weights()
    return model


def manual_hybrid_logits(model, index, inputs):
    """Hand-built composition of hybrid ``index`` from the raw modules."""
    meta_bb, tgt_bb = model.meta.backbone, model.target.backbone
    begin, end = model.module_block_ranges[index]
    src = tgt_bb if index == 0 else meta_bb
    x, hw = src.patch_embed(inputs)
    x = torch.cat([src.cls_token.expand(len(inputs), -1, -1), x], 1)
    x = x + src.pos_embed
    per_module = model.meta_blocks_per_module
    for j in range(index * per_module):
        x = meta_bb.layers[j](x)
    for b in range(begin, end):
        x = tgt_bb.layers[b](x)
    for j in range((index + 1) * per_module, len(meta_bb.layers)):
        x = meta_bb.layers[j](x)
    last = index == model.num_modules - 1
    owner = model.target if last else model.meta
    x = owner.backbone.ln1(x)[:, 0]
    return owner.head.layers.head(x)


@pytest.mark.parametrize('per_module', [1, 2])
def test_hybrid_forward_equals_manual_composition(per_module):
    """Module i in place of meta blocks m*i..m*i+m-1 (m=2: the deeper meta
    model of the ablation)."""
    model = build(meta_blocks_per_module=per_module).eval()
    assert len(model.meta.backbone.layers) == 4 * per_module
    inputs, _ = batch()
    for i in range(4):
        with torch.no_grad(), model.evaluate_as(('hybrid', i)):
            logits = model(inputs, mode='tensor')
            expected = manual_hybrid_logits(model, i, inputs)
        torch.testing.assert_close(logits, expected, rtol=0, atol=1e-6)


def test_assembled_model_is_target_vit_with_module_weights():
    model = build().eval()
    state = {}
    for i in range(4):
        state.update(model.module_state_dict(i))
    assert set(state) == set(model.target.state_dict())
    from mmpretrain.registry import MODELS
    plain = MODELS.build(tiny_target()).eval()
    plain.load_state_dict(state, strict=True)
    inputs, _ = batch()
    with torch.no_grad(), model.evaluate_as('target'):
        torch.testing.assert_close(
            model(inputs, mode='tensor'), plain(inputs, mode='tensor'),
            rtol=0, atol=0)


def test_ownership_of_embeddings_norm_and_head():
    model = build(module_depths=[1, 3, 2, 2])
    assert model.module_block_ranges == [(0, 1), (1, 4), (4, 6), (6, 8)]
    assert model.owner_of('backbone.cls_token') == 0
    assert model.owner_of('backbone.pos_embed') == 0
    assert model.owner_of('backbone.patch_embed.projection.weight') == 0
    assert model.owner_of('backbone.layers.3.ln1.weight') == 1
    assert model.owner_of('backbone.layers.5.ffn.layers.1.bias') == 2
    assert model.owner_of('backbone.ln1.weight') == 3
    assert model.owner_of('head.layers.head.weight') == 3


def test_incubation_trains_only_module_and_no_meta_graph():
    model = build()
    model.set_phase('incubate', [2], drop_path_rate=0.1)
    trainable = set(model.trainable_names())
    assert trainable == {f'target.{k}' for k, p in
                         model.target.named_parameters()
                         if model.owner_of(k) == 2}
    inputs, samples = batch()
    meta_before = copy.deepcopy(model.meta.state_dict())
    # the prefix runs without autograd
    prefixes = meta_prefixes(model.adapter, model.meta.backbone, inputs,
                             {2: model.hybrid_rates(2)[:2]})
    assert not prefixes[2][0].requires_grad
    assert prefixes[2][0].grad_fn is None
    optim = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-2,
        weight_decay=0.5)
    model.train()
    for _ in range(2):
        loss = sum(model.loss(inputs, samples).values())
        optim.zero_grad()
        loss.backward()
        optim.step()
    for name, param in model.meta.named_parameters():
        assert param.grad is None, name
        assert torch.equal(param, meta_before[name]), name
    changed = {f'target.{k}' for k, p in model.target.named_parameters()
               if p.grad is not None}
    assert changed == trainable


def test_summed_loss_gradients_equal_separate_hybrids():
    model = build()
    model.set_phase('incubate', [0, 1, 2, 3], drop_path_rate=0.0)
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert set(losses) == {f'loss_module{i}' for i in range(4)}
    sum(losses.values()).backward()
    joint = {n: p.grad.clone() for n, p in model.target.named_parameters()}
    for i in range(4):
        model.zero_grad()
        model.set_phase('incubate', [i])
        sum(model.loss(inputs, samples).values()).backward()
        for n, p in model.target.named_parameters():
            if model.owner_of(n) == i:
                torch.testing.assert_close(p.grad, joint[n], rtol=1e-5,
                                           atol=1e-7)


def drop_probs(block):
    """The ``drop_prob`` of every DropPath in ``block``."""
    probs = [m.drop_prob for m in block.modules()
             if type(m).__name__ == 'DropPath']
    assert probs, 'the block has no DropPath'
    return probs


def record_drop_probs(model):
    """{(model name, block index): the DropPath rates of each run of that
    block}, filled while the model runs."""
    seen = {}
    for owner in ('meta', 'target'):
        for index, block in enumerate(getattr(model, owner).backbone.layers):
            block.register_forward_pre_hook(
                lambda module, args, key=(owner, index): seen.setdefault(
                    key, []).append(drop_probs(module)))
    return seen


@pytest.mark.parametrize('depths, module, expected', [
    # hybrid 1 of 2+2+2+2 blocks: meta 0 | target 2, 3 | meta 2, 3
    ([2, 2, 2, 2], 1, {('meta', 0): 0.0, ('target', 2): 0.025,
                       ('target', 3): 0.05, ('meta', 2): 0.075,
                       ('meta', 3): 0.1}),
    # hybrid 1 of 1+3+2+2: meta 0 | target 1, 2, 3 | meta 2, 3
    ([1, 3, 2, 2], 1, {('meta', 0): 0.0, ('target', 1): 0.02,
                       ('target', 2): 0.04, ('target', 3): 0.06,
                       ('meta', 2): 0.08, ('meta', 3): 0.1}),
    # hybrid 2 of 1+3+2+2: meta 0, 1 | target 4, 5 | meta 3
    ([1, 3, 2, 2], 2, {('meta', 0): 0.0, ('meta', 1): 0.025,
                       ('target', 4): 0.05, ('target', 5): 0.075,
                       ('meta', 3): 0.1}),
])
def test_hybrid_drop_path_rates_are_spaced_over_hybrid_depth(
        depths, module, expected):
    """Drop path 0.1 rises linearly from 0 over the hybrid's own blocks,
    meta prefix included; exactly those blocks run."""
    model = build(module_depths=depths)
    model.set_phase('incubate', [module], drop_path_rate=0.1)
    model.train()
    seen = record_drop_probs(model)
    model.loss(*batch())
    assert set(seen) == set(expected)
    for key, rate in expected.items():
        for probs in seen[key]:
            assert probs == pytest.approx([rate] * len(probs), abs=1e-12), key


def test_meta_and_finetune_drop_path_rates_rise_over_depth():
    model = build()  # 8 target blocks; the meta model has 4
    model.set_phase('meta', drop_path_rate=0.3)
    seen = record_drop_probs(model)
    model.train()
    model.loss(*batch())
    assert sorted(seen) == [('meta', i) for i in range(4)]
    for i, rate in enumerate([0.0, 0.1, 0.2, 0.3]):
        for probs in seen[('meta', i)]:
            assert probs == pytest.approx([rate] * len(probs), abs=1e-12)
    seen.clear()
    model.set_phase('finetune', drop_path_rate=0.7)
    model.loss(*batch())
    assert sorted(seen) == [('target', i) for i in range(8)]
    for i, rate in enumerate([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]):
        for probs in seen[('target', i)]:
            assert probs == pytest.approx([rate] * len(probs), abs=1e-12)


def test_meta_and_finetune_phases():
    model = build()
    model.set_phase('meta')
    assert all(n.startswith('meta.') for n in model.trainable_names())
    model.set_phase('finetune', drop_path_rate=0.2)
    assert all(n.startswith('target.') for n in model.trainable_names())
    rates = [m.drop_prob for m in model.target.backbone.layers[-1].modules()
             if type(m).__name__ == 'DropPath']
    assert rates and all(abs(r - 0.2) < 1e-9 for r in rates)


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_modules=3), 'does not divide'),
    (dict(module_depths=[2, 2, 2]), 'sum to 6'),
    (dict(module_depths=[4, 4, 0]), 'at least one block'),
    (dict(num_modules=2, module_depths=[4, 2, 2]), 'disagrees'),
])
def test_bad_splits(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeepIncubation(target=tiny_target(), **kwargs)


def test_bad_phase_and_module_index():
    model = build()
    with pytest.raises(ValueError, match='Unknown phase'):
        model.set_phase('pretrain')
    with pytest.raises(ValueError, match='out of range'):
        model.set_phase('incubate', [4])


def test_meta_checkpoint_of_wrong_shape(tmp_path):
    from mmpretrain.registry import MODELS
    wrong = MODELS.build(tiny_target(depth=4, dims=48))
    path = tmp_path / 'meta.pth'
    torch.save(dict(state_dict=wrong.state_dict()), path)
    model = DeepIncubation(target=tiny_target(), meta_checkpoint=str(path))
    with pytest.raises(CheckpointFormatError, match='shape mismatches'):
        model.init_weights()


def test_meta_checkpoint_loads(tmp_path):
    from mmpretrain.registry import MODELS
    meta = MODELS.build(tiny_target(depth=4))
    path = tmp_path / 'meta.pth'
    torch.save(dict(state_dict=meta.state_dict()), path)
    model = DeepIncubation(target=tiny_target(), meta_checkpoint=str(path))
    model.init_weights()
    for k, v in meta.state_dict().items():
        assert torch.equal(model.meta.state_dict()[k], v)


def test_meta_blocks_per_module_must_be_positive():
    with pytest.raises(ValueError, match='meta_blocks_per_module=0: give 1'):
        build(meta_blocks_per_module=0)
