"""Speed options give the default's loss and gradients: activation
checkpointing (exactly, through the backbone's own switch where it has one:
PlainViT's ``with_cp``, timm's ``set_grad_checkpointing``), regional
torch.compile (within 1e-5; a new graph where the trainable set changes),
bf16 autocast (within bf16's precision)."""
import pytest
import torch
from mmengine.optim import OptimWrapper

from mmincubate.engine.optimizers import BF16AutocastOptimWrapper
from mmincubate.models import DeepIncubation
from tests.helpers import random_batch as batch
from tests.helpers import tiny_target

PHASES = [dict(phase='meta', drop_path_rate=0.1),
          dict(phase='incubate', modules=[0, 1, 2, 3], drop_path_rate=0.1),
          dict(phase='incubate', modules=[2], drop_path_rate=0.1),
          dict(phase='finetune', drop_path_rate=0.1)]


#: target backbones: (config, whether it checkpoints through its own switch)
BACKBONES = {
    'mmpretrain_vit': (dict(), False),
    'plain_vit': (dict(type='mmincubate.PlainViT', out_type='cls_token'),
                  True),
    'timm_vit': (dict(_replace=dict(
        type='TIMMBackbone', model_name='vit_small_patch16_224', img_size=8,
        patch_size=2, in_channels=1, embed_dim=32, depth=8, num_heads=2,
        mlp_ratio=2.0)), True),
}


def build(backbone='mmpretrain_vit', **kwargs):
    torch.manual_seed(0)
    target = tiny_target(depth=8)
    options = BACKBONES[backbone][0]
    if '_replace' in options:  # a timm ViT: every token out, pool the cls
        target['backbone'] = options['_replace']
        target['neck'] = dict(type='TokenPoolNeck', pool='token',
                              num_prefix_tokens=1)
    else:
        target['backbone'].update(options)
    model = DeepIncubation(target=target, **kwargs)
    model.init_weights()
    return model


def loss_and_grads(model, phase, seed=3, n=6):
    """The summed loss of one forward/backward and every parameter's
    gradient (None where it has none), drop path drawn from ``seed``."""
    model.set_phase(**phase)
    model.train()
    model.zero_grad(set_to_none=True)
    inputs, samples = batch(n)
    torch.manual_seed(seed)
    losses = model.loss(inputs, samples)
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    loss.backward()
    return loss.detach(), {n: None if p.grad is None else p.grad.clone()
                           for n, p in model.named_parameters()}


def assert_same(ref, other, atol):
    (loss_a, grads_a), (loss_b, grads_b) = ref, other
    torch.testing.assert_close(loss_b, loss_a, atol=atol, rtol=0)
    assert grads_a.keys() == grads_b.keys()
    for name, grad in grads_a.items():
        if grad is None:
            assert grads_b[name] is None, name
        else:
            torch.testing.assert_close(grads_b[name], grad, atol=atol,
                                       rtol=0, msg=name)


@pytest.mark.parametrize('backbone', sorted(BACKBONES))
@pytest.mark.parametrize('phase', PHASES, ids=lambda p: str(p.get(
    'modules', p['phase'])))
def test_with_cp_same_loss_and_gradients(phase, backbone):
    reference = build(backbone)
    checkpointed = build(backbone, with_cp=True)
    assert checkpointed._backbone_checkpoints == BACKBONES[backbone][1]
    # nothing is patched onto the blocks
    assert all('forward' not in vars(block)
               for block in checkpointed._blocks(checkpointed.target))
    assert checkpointed.state_dict().keys() == reference.state_dict().keys()
    assert_same(loss_and_grads(reference, phase),
                loss_and_grads(checkpointed, phase), atol=1e-6)


def saved_tensors(model, phase: dict) -> int:
    """How many tensors one training forward saves for its backward."""
    model.set_phase(**phase)
    model.train()
    count = [0]

    def pack(tensor):
        count[0] += 1
        return tensor
    inputs, samples = batch()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        sum(v for k, v in model.loss(inputs, samples).items() if 'loss' in k)
    return count[0]


@pytest.mark.parametrize('backbone', sorted(BACKBONES))
@pytest.mark.parametrize('phase', [PHASES[1], PHASES[3]],
                         ids=['incubate', 'finetune'])
def test_with_cp_stores_fewer_activations(phase, backbone):
    """Fewer tensors are saved for the backward pass of incubation (the
    hybrids call the blocks) and of fine-tuning (the backbone's forward)."""
    assert saved_tensors(build(backbone, with_cp=True), phase) < \
        saved_tensors(build(backbone), phase) / 2


class GraphCounter:
    """A torch.compile backend that counts the graphs it is given and runs
    them as they are."""

    def __init__(self):
        self.graphs = 0

    def __call__(self, graph_module, example_inputs):
        self.graphs += 1
        return graph_module.forward


def test_compile_blocks_same_results_and_recompiles_per_phase():
    """After every phase switch the compiled blocks give the eager loss and
    gradients, exactly the trainable set receives gradients (a graph kept
    from another phase would break either), new variants are compiled and
    a repeated step of a phase compiles nothing."""
    torch._dynamo.reset()
    reference, compiled = build(), build()
    counter = GraphCounter()
    assert compiled.compile_blocks(backend=counter) == 8 + 4
    assert compiled.state_dict().keys() == reference.state_dict().keys()
    graphs = []
    for phase in PHASES:
        got = loss_and_grads(compiled, phase)
        assert_same(loss_and_grads(reference, phase), got, atol=1e-6)
        trainable = set(compiled.trainable_names())
        assert {n for n, g in got[1].items() if g is not None} == trainable
        graphs.append(counter.graphs)
        loss_and_grads(compiled, phase, seed=4)  # the same variants
        assert counter.graphs == graphs[-1], f'{phase}: compiled again'
    # incubation adds variants the meta phase lacks (no-grad prefixes,
    # frozen tails); drop-path rates are graph inputs, not recompiles
    assert 0 < graphs[0] < graphs[1]
    torch._dynamo.reset()


def test_compile_blocks_inductor_within_tolerance():
    """The default backend generates CPU kernels: the same loss and
    gradients within 1e-5 (kernels reorder sums)."""
    torch._dynamo.reset()
    reference, compiled = build(), build()
    compiled.compile_blocks()
    phase = dict(phase='incubate', modules=[1], drop_path_rate=0.0)
    assert_same(loss_and_grads(reference, phase),
                loss_and_grads(compiled, phase), atol=1e-5)
    torch._dynamo.reset()


def test_bf16_autocast_wrapper_close_to_fp32():
    model = build()
    phase = dict(phase='finetune')
    reference = loss_and_grads(model, phase)
    wrapper = BF16AutocastOptimWrapper(
        optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3))
    with wrapper.optim_context(model):
        assert torch.is_autocast_enabled('cpu')
        assert torch.get_autocast_dtype('cpu') == torch.bfloat16
        loss, grads = loss_and_grads(model, phase)
    assert not torch.is_autocast_enabled('cpu')
    # bf16 keeps 8 bits of mantissa: about 2 decimal digits
    torch.testing.assert_close(loss, reference[0], atol=0, rtol=2e-2)
    flat = torch.cat([g.flatten() for g in grads.values() if g is not None])
    flat_ref = torch.cat([g.flatten() for g in reference[1].values()
                          if g is not None])
    cosine = torch.nn.functional.cosine_similarity(flat, flat_ref, dim=0)
    assert cosine > 0.999, cosine
    assert all(g.dtype == torch.float32 for g in grads.values()
               if g is not None)


def test_bf16_autocast_wrapper_trains_like_optim_wrapper():
    """A whole train_step: parameters stay fp32 and move like fp32's."""
    updates = {}
    for wrapper_type in (OptimWrapper, BF16AutocastOptimWrapper):
        model = build()
        model.set_phase('finetune')
        before = [p.detach().clone() for p in model.parameters()]
        wrapper = wrapper_type(
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
        inputs, samples = batch()
        model.train_step(dict(inputs=inputs, data_samples=samples), wrapper)
        updates[wrapper_type] = torch.cat([
            (p.detach() - b).flatten()
            for p, b in zip(model.parameters(), before)])
        assert all(p.dtype == torch.float32 for p in model.parameters())
    cosine = torch.nn.functional.cosine_similarity(*updates.values(), dim=0)
    assert cosine > 0.999, cosine
