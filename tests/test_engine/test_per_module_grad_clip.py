import pytest
import torch
from mmengine.logging import MessageHub

from mmincubate.engine.optimizers.per_module_grad_clip import \
    PerModuleGradClip


def test_each_module_clipped_alone_and_logged():
    torch.manual_seed(0)
    groups = {i: [torch.nn.Parameter(torch.randn(5)) for _ in range(2)]
              for i in (0, 2)}
    for params in groups.values():
        for p in params:
            p.grad = torch.randn(5) * 10
    expected = {}
    for i, params in groups.items():
        grads = [p.grad.clone() for p in params]
        norm = torch.linalg.vector_norm(torch.cat(grads))
        expected[i] = (norm, [g * min(1.0, 1.0 / (norm + 1e-6))
                              for g in grads])
    hub = MessageHub.get_instance('test_per_module_grad_clip')
    clip = PerModuleGradClip(torch.nn.utils.clip_grad_norm_, groups)
    everything = [p for params in groups.values() for p in params]
    largest = clip(everything, max_norm=1.0)
    torch.testing.assert_close(largest,
                               max(n for n, _ in expected.values()))
    for i, (norm, grads) in expected.items():
        logged = hub.get_scalar(f'train/grad_norm_module{i}').current()
        assert logged == pytest.approx(float(norm), rel=1e-6)
        for p, g in zip(groups[i], grads):
            torch.testing.assert_close(p.grad, g)
    assert clip(groups[0][:1], max_norm=1.0) is not None  # a subset
    assert clip([], max_norm=1.0) is None
