# Runtime defaults shared by every mmincubate config.
default_scope = 'mmincubate'
# atomic checkpoints, strict and weights-only-safe loading, CPU-capable DDP
runner_type = 'ExactResumeRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # time, images and measured FLOPs of every phase, accuracy against
    # cumulative cost: summary.json (off: default_hooks.cost=None)
    cost=dict(type='CostAccountingHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # ExactResumeRunner switches to gloo when there is no GPU
    dist_cfg=dict(backend='nccl'),
)

# curves in work_dir/<time>/vis_data (JSON) and for TensorBoard:
#   tensorboard --logdir work_dirs/<config>
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
# a fixed seed makes data order, initialisation and resume reproducible
randomness = dict(seed=0, deterministic=False)
