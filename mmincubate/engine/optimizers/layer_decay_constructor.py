"""Layer-wise learning-rate decay for mmpretrain-named ViTs in any model."""
from typing import Dict, List, Optional, Tuple

from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from mmincubate.models.adapters import find_backbones
from mmincubate.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Layer-wise lr decay for every backbone an incubation adapter knows.

    The constructor finds the backbones in the model (a classifier's, Mask
    R-CNN's, UperNet's, ``meta``/``target`` inside ``DeepIncubation``) and
    asks their adapter for each parameter's depth
    (:meth:`IncubationAdapter.layer_id`): block N at ``N + 1``, the
    embedding (``cls_token``, ``pos_embed``, ``patch_embed``, ...) at 0, the
    final norm and everything outside a backbone (neck, heads) at ``L + 1``.
    Its lr is ``lr * rate ** (L + 1 - depth)``; ``L`` is the deepest
    backbone's block count (checked against ``paramwise_cfg.num_layers`` if
    given). Biases, norms and other 1-D tensors, ``pos_embed`` and
    ``cls_token`` get ``weight_decay * flat_decay_mult`` (default 0). Frozen
    parameters are left out. A model without a known backbone is an error,
    never a silent no-op.

    Example:
        >>> optim_wrapper = dict(
        ...     type='AmpOptimWrapper',
        ...     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.1),
        ...     constructor='mmincubate.LayerDecayOptimWrapperConstructor',
        ...     paramwise_cfg=dict(layer_decay_rate=0.7, num_layers=12))
    """

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        given = dict(paramwise_cfg)
        self.layer_decay_rate = float(
            paramwise_cfg.pop('layer_decay_rate', 1.0))
        self.num_layers = paramwise_cfg.pop('num_layers', None)
        self.flat_decay_mult = float(paramwise_cfg.pop('flat_decay_mult', 0.))
        self.no_decay_names = tuple(
            paramwise_cfg.pop('no_decay_names', ('pos_embed', 'cls_token')))
        if paramwise_cfg:
            raise ValueError(
                'LayerDecayOptimWrapperConstructor does not take paramwise_cfg '
                f'keys {sorted(paramwise_cfg)}; it takes layer_decay_rate, '
                'num_layers, flat_decay_mult, no_decay_names.')
        if not 0 < self.layer_decay_rate <= 1:
            raise ValueError('layer_decay_rate must be in (0, 1], got '
                             f'{self.layer_decay_rate}.')
        super().__init__(optim_wrapper_cfg, None)
        # non-empty, so that mmengine's __call__ goes through add_params
        self.paramwise_cfg = dict(given, layer_decay_rate=self.layer_decay_rate)

    def _backbones(self, module: nn.Module) -> Dict[str, tuple]:
        """Every backbone an incubation adapter handles, by name prefix:
        (adapter, number of blocks)."""
        subs = dict(module.named_modules())
        # a model's networks outside its target (local learning's auxiliary
        # classifiers) are heads here, whatever blocks they hold
        inner = module.module if is_model_wrapper(module) else module
        wrapped = 'module.' if inner is not module else ''
        outside = tuple(wrapped + prefix for prefix in getattr(
            inner, 'outside_layer_decay', ()))
        found = {
            prefix: (adapter, len(adapter.blocks(subs[prefix[:-1]]
                                                 if prefix else module)))
            for prefix, adapter in find_backbones(module).items()
            if not prefix.startswith(outside)
        }
        if not found:
            names = [n for n, _ in module.named_parameters()]
            raise ValueError(
                'layer_decay_rate needs a backbone that an incubation '
                'adapter knows (mmpretrain ViT names '
                "'...backbone.layers.N...', DeiT3, a timm ViT in "
                'TIMMBackbone), but none is found; parameters are e.g. '
                f'{names[:5]}. Use such a backbone (e.g. mmincubate.PlainViT)'
                ' or register an IncubationAdapter for yours.')
        return found

    def _num_layers(self, backbones: Dict[str, tuple]) -> int:
        found = max(num_blocks for _, num_blocks in backbones.values())
        if self.num_layers is not None and int(self.num_layers) != found:
            raise ValueError(
                f'paramwise_cfg.num_layers={self.num_layers} but the model '
                f'has backbone.layers.0..{found - 1}; set num_layers={found} '
                'or leave it out.')
        return found

    @staticmethod
    def layer_depth(name: str, backbones: Dict[str, tuple],
                    num_layers: int) -> int:
        """Depth of a parameter: 0 stem, N+1 block N, L+1 the rest (the
        final norm, and everything outside a backbone)."""
        for prefix, (adapter, _) in backbones.items():
            if name.startswith(prefix):
                return adapter.layer_id(name[len(prefix):], num_layers)
        return num_layers + 1

    def add_params(self, params: List[dict], module: nn.Module,
                   **kwargs) -> None:
        # depth counts every block, frozen or not (e.g. a frozen last block)
        backbones = self._backbones(module)
        num_layers = self._num_layers(backbones)
        named = [(n, p) for n, p in module.named_parameters()
                 if p.requires_grad]
        groups: Dict[Tuple[int, bool], dict] = {}
        for name, param in named:
            depth = self.layer_depth(name, backbones, num_layers)
            flat = param.ndim <= 1 or name.endswith(self.no_decay_names)
            group = groups.get((depth, flat))
            if group is None:
                scale = self.layer_decay_rate**(num_layers + 1 - depth)
                group = groups[(depth, flat)] = dict(
                    params=[],
                    lr=self.base_lr * scale,
                    lr_scale=scale,
                    layer_id=depth,
                    param_names=[])
                if self.base_wd is not None:
                    group['weight_decay'] = self.base_wd * (
                        self.flat_decay_mult if flat else 1.0)
            group['params'].append(param)
            group['param_names'].append(name)
        params.extend(groups[key] for key in sorted(groups))
        logger = MMLogger.get_current_instance()
        logger.info(
            f'Layer-wise lr decay {self.layer_decay_rate} over '
            f'{num_layers} blocks: ' + ', '.join(
                f'depth {g["layer_id"]}: lr x{g["lr_scale"]:.3g} '
                f'({len(g["params"])} tensors'
                f'{", no wd" if g.get("weight_decay") == 0 else ""})'
                for g in params))
