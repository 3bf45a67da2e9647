"""Registries of mmincubate.

Each node is a child of mmpretrain's node of the same name (itself a child of
mmengine's root), so a config with ``default_scope='mmincubate'`` finds
mmincubate's own members first and then mmpretrain's and mmengine's
(``ImageClassifier``, ``VisionTransformer``, ``PackInputs``, ``Accuracy``, ...)
without scope prefixes. ``locations`` makes mmengine import the members lazily
when the scope is first used.

Example:
    >>> from mmincubate.registry import MODELS
    >>> model = MODELS.build(dict(type='DeepIncubation', ...))
"""
from mmpretrain.registry import BATCH_AUGMENTS as MMPRETRAIN_BATCH_AUGMENTS
from mmpretrain.registry import DATA_SAMPLERS as MMPRETRAIN_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as MMPRETRAIN_DATASETS
from mmpretrain.registry import EVALUATORS as MMPRETRAIN_EVALUATORS
from mmpretrain.registry import HOOKS as MMPRETRAIN_HOOKS
from mmpretrain.registry import LOG_PROCESSORS as MMPRETRAIN_LOG_PROCESSORS
from mmpretrain.registry import LOOPS as MMPRETRAIN_LOOPS
from mmpretrain.registry import METRICS as MMPRETRAIN_METRICS
from mmpretrain.registry import MODEL_WRAPPERS as MMPRETRAIN_MODEL_WRAPPERS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.registry import OPTIM_WRAPPERS as MMPRETRAIN_OPTIM_WRAPPERS
from mmpretrain.registry import OPTIMIZERS as MMPRETRAIN_OPTIMIZERS
from mmpretrain.registry import PARAM_SCHEDULERS as MMPRETRAIN_PARAM_SCHEDULERS
from mmpretrain.registry import \
    RUNNER_CONSTRUCTORS as MMPRETRAIN_RUNNER_CONSTRUCTORS
from mmpretrain.registry import RUNNERS as MMPRETRAIN_RUNNERS
from mmpretrain.registry import TASK_UTILS as MMPRETRAIN_TASK_UTILS
from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS
from mmpretrain.registry import VISBACKENDS as MMPRETRAIN_VISBACKENDS
from mmpretrain.registry import VISUALIZERS as MMPRETRAIN_VISUALIZERS
from mmpretrain.registry import \
    WEIGHT_INITIALIZERS as MMPRETRAIN_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

from mmincubate.mmengine_compat import list_at_root

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'BATCH_AUGMENTS', 'TASK_UTILS',
    'METRICS',
    'EVALUATORS', 'VISUALIZERS', 'VISBACKENDS', 'INCUBATION_ADAPTERS'
]


def _child(name: str, parent: Registry, location: str) -> Registry:
    node = Registry(name, parent=parent, scope='mmincubate',
                    locations=[location])
    # mmengine resolves a scoped type ('mmincubate.PlainViT' in an mmdet or
    # mmseg config) only among the root's direct children; mmincubate's nodes
    # sit under mmpretrain's, so they are also listed at the root.
    list_at_root(parent, node)
    return node


# engine
RUNNERS = _child('runner', MMPRETRAIN_RUNNERS, 'mmincubate.engine')
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             MMPRETRAIN_RUNNER_CONSTRUCTORS,
                             'mmincubate.engine')
LOOPS = _child('loop', MMPRETRAIN_LOOPS, 'mmincubate.engine')
HOOKS = _child('hook', MMPRETRAIN_HOOKS, 'mmincubate.engine')
LOG_PROCESSORS = _child('log processor', MMPRETRAIN_LOG_PROCESSORS,
                        'mmincubate.engine')
OPTIMIZERS = _child('optimizer', MMPRETRAIN_OPTIMIZERS, 'mmincubate.engine')
OPTIM_WRAPPERS = _child('optim wrapper', MMPRETRAIN_OPTIM_WRAPPERS,
                        'mmincubate.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS,
                                    'mmincubate.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMPRETRAIN_PARAM_SCHEDULERS,
                          'mmincubate.engine')

# datasets
DATASETS = _child('dataset', MMPRETRAIN_DATASETS, 'mmincubate.datasets')
DATA_SAMPLERS = _child('data sampler', MMPRETRAIN_DATA_SAMPLERS,
                       'mmincubate.datasets')
TRANSFORMS = _child('transform', MMPRETRAIN_TRANSFORMS,
                    'mmincubate.datasets')

# models
MODELS = _child('model', MMPRETRAIN_MODELS, 'mmincubate.models')
MODEL_WRAPPERS = _child('model_wrapper', MMPRETRAIN_MODEL_WRAPPERS,
                        'mmincubate.models')
WEIGHT_INITIALIZERS = _child('weight initializer',
                             MMPRETRAIN_WEIGHT_INITIALIZERS,
                             'mmincubate.models')
TASK_UTILS = _child('task util', MMPRETRAIN_TASK_UTILS, 'mmincubate.models')
# Mixup / CutMix of the target classifier's train_cfg
BATCH_AUGMENTS = _child('batch augment', MMPRETRAIN_BATCH_AUGMENTS,
                        'mmincubate.models')
# How the incubation algorithm reaches into a block-structured backbone
# (embedding, blocks, final norm). Not a child: adapters are mmincubate's own.
INCUBATION_ADAPTERS = Registry('incubation adapter', scope='mmincubate',
                               locations=['mmincubate.models'])

# evaluation
METRICS = _child('metric', MMPRETRAIN_METRICS, 'mmincubate.evaluation')
EVALUATORS = _child('evaluator', MMPRETRAIN_EVALUATORS, 'mmincubate.evaluation')

# visualization: mmincubate adds none; building one in mmincubate's scope
# imports mmpretrain's (UniversalVisualizer, mmengine's backends)
VISUALIZERS = _child('visualizer', MMPRETRAIN_VISUALIZERS,
                     'mmpretrain.visualization')
VISBACKENDS = _child('vis_backend', MMPRETRAIN_VISBACKENDS,
                     'mmpretrain.visualization')
