"""The per-hybrid training step: the summed-loss step's gradients, counts
and logs, one hybrid's activations at a time."""
import torch
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mmincubate.models import DeepIncubation
from mmincubate.models.algorithms.per_hybrid_step import _backward_uncounted
from tests.helpers import tiny_target


def build(per_hybrid_backward=True, **kwargs):
    torch.manual_seed(0)
    model = DeepIncubation(target=tiny_target(depth=8),
                           per_hybrid_backward=per_hybrid_backward, **kwargs)
    model.init_weights()
    return model


def data(step):
    g = torch.Generator().manual_seed(step)
    return dict(inputs=torch.randint(0, 256, (6, 1, 8, 8), generator=g,
                                     dtype=torch.uint8),
                data_samples=[DataSample().set_gt_label(i % 10)
                              for i in range(6)])


def run(model, steps=4, accumulate=2, clip=None):
    """``steps`` train_steps of all 4 modules, drop path 0.1, gradients
    accumulated over ``accumulate`` steps; the weights and logs after."""
    model.set_phase('incubate', modules=[0, 1, 2, 3], drop_path_rate=0.1)
    wrapper = OptimWrapper(
        torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                        lr=0.1, momentum=0.9),
        accumulative_counts=accumulate, clip_grad=clip)
    wrapper.initialize_count_status(model, 0, steps)
    torch.manual_seed(1)
    logs = [{k: v.item() for k, v in model.train_step(data(s), wrapper)
             .items()} for s in range(steps)]
    return model.state_dict(), logs, wrapper


def test_per_hybrid_step_equals_the_summed_step_with_accumulation():
    """4 steps, gradients accumulated over 2, drop path, clipping: bitwise
    the weights and logs of one backward of the summed losses; the step is
    counted once per train_step, so the optimizer stepped twice."""
    model = build()
    assert not model.steps_hybrid_by_hybrid  # finetune phase after building
    per_hybrid, logs, wrapper = run(model, clip=dict(max_norm=0.5))
    assert model.steps_hybrid_by_hybrid
    assert wrapper.inner_count == 4
    summed, summed_logs, _ = run(build(per_hybrid_backward=False),
                                 clip=dict(max_norm=0.5))
    for key, value in summed.items():
        assert torch.equal(per_hybrid[key], value), key
    assert logs == summed_logs
    assert set(logs[0]) == {'loss', *(f'loss_module{i}' for i in range(4))}
    start = build().state_dict()
    assert any(not torch.equal(start[k], v) for k, v in per_hybrid.items())
    assert all(torch.equal(start[k], v) for k, v in per_hybrid.items()
               if k.startswith('meta.'))


def test_one_module_takes_the_ordinary_step():
    model = build()
    model.set_phase('incubate', modules=[2])
    assert not model.steps_hybrid_by_hybrid


def test_uncounted_backward_scales_like_the_wrapper():
    """An fp16 wrapper's loss scaler scales every hybrid's loss, not only
    the last one's."""
    weight = torch.nn.Parameter(torch.ones(3))
    wrapper = OptimWrapper(torch.optim.SGD([weight], lr=0.1))
    _backward_uncounted(wrapper, (weight * 2).sum())
    assert torch.equal(weight.grad, torch.full((3, ), 2.0))
    assert wrapper.inner_count == 0
    weight.grad = None
    wrapper.loss_scaler = torch.amp.GradScaler('cpu', init_scale=1024.0)
    _backward_uncounted(wrapper, (weight * 2).sum())
    assert torch.equal(weight.grad, torch.full((3, ), 2048.0))


def test_peak_memory_of_one_hybrid_at_a_time():
    """The activations alive at the end of the forward: all hybrids' for
    the summed step, one hybrid's for the per-hybrid step (saved tensors
    counted by autograd's pack hook while each step's forward runs)."""
    peaks = {}
    for per_hybrid in (True, False):
        model = build(per_hybrid)
        model.set_phase('incubate', modules=[0, 1, 2, 3])
        live, peak = {}, [0]

        def pack(tensor):
            live[id(tensor)] = tensor.numel() * tensor.element_size()
            peak[0] = max(peak[0], sum(live.values()))
            return tensor

        def unpack(tensor):
            live.pop(id(tensor), None)
            return tensor

        wrapper = OptimWrapper(torch.optim.SGD(
            [p for p in model.parameters() if p.requires_grad], lr=0.1))
        with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
            model.train_step(data(0), wrapper)
        peaks[per_hybrid] = peak[0]
    assert peaks[True] < 0.5 * peaks[False], peaks
