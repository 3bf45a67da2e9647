# A tiny, deterministic InfoPro run for
# tests/test_engine/test_kill_resume_local.py: local (every module with its
# auxiliary classifier and patch decoder) -> finetune, a checkpoint after
# every iteration. Drop path and random crop/flip are on so that resuming
# is only exact if the random states are restored too.
_base_ = ['../../configs/local/vit_tiny_k4_digits_infopro.py']
model = dict(
    target=dict(
        backbone=dict(
            arch=dict(embed_dims=32, num_layers=8, num_heads=2,
                      feedforward_channels=64)),
        head=dict(in_channels=32)),
    aux_net='block')
train_cfg = dict(
    _delete_=True,
    type='IncubationLoop',
    phases=[
        dict(phase='local', max_iters=12, val_interval=100,
             drop_path_rate=0.1),
        dict(phase='finetune', max_iters=8, val_interval=100,
             drop_path_rate=0.1,
             optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
    ])
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=False, eta_min=1e-5)
]
train_pipeline = [
    dict(type='RandomCrop', crop_size=8, padding=1),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16, num_workers=0, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=355, num_workers=0)
test_dataloader = val_dataloader
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=4),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1,
                    max_keep_ckpts=2))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
