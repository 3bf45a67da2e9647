auto_scale_lr = dict(base_batch_size=64)
cosine = [
    dict(
        begin=0,
        by_epoch=True,
        convert_to_iter_based=True,
        eta_min=1e-05,
        type='CosineAnnealingLR'),
]
custom_hooks = [
    dict(type='IncubationHook'),
]
data_preprocessor = dict(
    mean=[
        125.307,
        122.961,
        113.8575,
    ],
    num_classes=10,
    std=[
        51.5865,
        50.847,
        51.255,
    ],
    to_rgb=True)
data_root = 'data/cifar10'
dataset_type = 'CustomDataset'
default_hooks = dict(
    checkpoint=dict(interval=5, max_keep_ckpts=2, type='CheckpointHook'),
    cost=dict(type='CostAccountingHook'),
    logger=dict(interval=50, type='LoggerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    timer=dict(type='IterTimerHook'),
    visualization=dict(enable=False, type='VisualizationHook'))
default_scope = 'mmincubate'
env_cfg = dict(
    cudnn_benchmark=False,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
launcher = 'none'
load_from = None
log_level = 'INFO'
model = dict(
    aux_net='linear',
    lambda_ce=1.0,
    lambda_rec=0.0,
    num_modules=4,
    target=dict(
        backbone=dict(
            arch=dict(
                embed_dims=64,
                feedforward_channels=128,
                num_heads=2,
                num_layers=32),
            drop_path_rate=0.1,
            img_size=32,
            in_channels=3,
            init_cfg=[
                dict(
                    layer='Conv2d',
                    mode='fan_in',
                    nonlinearity='linear',
                    type='Kaiming'),
            ],
            patch_size=4,
            type='VisionTransformer'),
        data_preprocessor=dict(
            mean=[
                125.307,
                122.961,
                113.8575,
            ],
            num_classes=10,
            std=[
                51.5865,
                50.847,
                51.255,
            ],
            to_rgb=True),
        head=dict(
            in_channels=64,
            loss=dict(loss_weight=1.0, type='CrossEntropyLoss'),
            num_classes=10,
            type='VisionTransformerClsHead'),
        neck=None,
        type='ImageClassifier'),
    type='LocalLearning')
optim_wrapper = dict(
    optimizer=dict(lr=0.001, type='AdamW', weight_decay=0.05),
    paramwise_cfg=dict(
        bias_decay_mult=0.0,
        custom_keys=dict({
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0)
        }),
        norm_decay_mult=0.0))
param_scheduler = [
    dict(
        begin=0,
        by_epoch=True,
        convert_to_iter_based=True,
        end=1,
        start_factor=0.01,
        type='LinearLR'),
    dict(
        begin=1,
        by_epoch=True,
        convert_to_iter_based=True,
        eta_min=1e-05,
        type='CosineAnnealingLR'),
]
randomness = dict(deterministic=False, seed=2)
resume = False
runner_type = 'ExactResumeRunner'
test_cfg = dict()
test_dataloader = dict(
    batch_size=256,
    dataset=dict(
        data_prefix='val',
        data_root='data/cifar10_study',
        pipeline=[
            dict(type='PackInputs'),
        ],
        type='InMemoryCustomDataset'),
    num_workers=0,
    persistent_workers=False,
    sampler=dict(shuffle=False, type='DefaultSampler'))
test_evaluator = dict(topk=(1, ), type='Accuracy')
test_pipeline = [
    dict(type='PackInputs'),
]
train_cfg = dict(
    phases=[
        dict(
            drop_path_rate=0.1,
            max_epochs=15,
            param_scheduler=[
                dict(
                    begin=0,
                    by_epoch=True,
                    convert_to_iter_based=True,
                    end=1,
                    start_factor=0.01,
                    type='LinearLR'),
                dict(
                    begin=1,
                    by_epoch=True,
                    convert_to_iter_based=True,
                    eta_min=1e-05,
                    type='CosineAnnealingLR'),
            ],
            phase='local',
            val_interval=5),
        dict(
            drop_path_rate=0.1,
            max_epochs=15,
            optim_wrapper=dict(
                clip_grad=dict(max_norm=1.0), optimizer=dict(lr=0.0005)),
            param_scheduler=[
                dict(
                    begin=0,
                    by_epoch=True,
                    convert_to_iter_based=True,
                    eta_min=1e-05,
                    type='CosineAnnealingLR'),
            ],
            phase='finetune',
            val_interval=5),
    ],
    type='IncubationLoop')
train_dataloader = dict(
    batch_size=64,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_prefix='train',
        data_root='data/cifar10_study',
        pipeline=[
            dict(crop_size=32, padding=4, type='RandomCrop'),
            dict(direction='horizontal', prob=0.5, type='RandomFlip'),
            dict(type='PackInputs'),
        ],
        type='InMemoryCustomDataset'),
    num_workers=0,
    persistent_workers=False,
    sampler=dict(shuffle=True, type='DefaultSampler'))
train_pipeline = [
    dict(crop_size=32, padding=4, type='RandomCrop'),
    dict(direction='horizontal', prob=0.5, type='RandomFlip'),
    dict(type='PackInputs'),
]
val_cfg = dict()
val_dataloader = dict(
    batch_size=256,
    dataset=dict(
        data_prefix='val',
        data_root='data/cifar10_study',
        pipeline=[
            dict(type='PackInputs'),
        ],
        type='InMemoryCustomDataset'),
    num_workers=0,
    persistent_workers=False,
    sampler=dict(shuffle=False, type='DefaultSampler'))
val_evaluator = dict(topk=(1, ), type='Accuracy')
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(
    type='UniversalVisualizer',
    vis_backends=[
        dict(type='LocalVisBackend'),
        dict(type='TensorboardVisBackend'),
    ])
warmup_cosine = [
    dict(
        begin=0,
        by_epoch=True,
        convert_to_iter_based=True,
        end=1,
        start_factor=0.01,
        type='LinearLR'),
    dict(
        begin=1,
        by_epoch=True,
        convert_to_iter_based=True,
        eta_min=1e-05,
        type='CosineAnnealingLR'),
]
work_dir = '/work/study/work_dirs/cifar10_study_deep32/dgl_seed2'
