# A tiny, deterministic E2E run of the digits ViT for
# tests/test_engine/test_kill_resume_e2e.py: mmengine's EpochBasedTrainLoop,
# 256 training images, 8 short epochs, a checkpoint and a validation after
# every epoch. Drop path and random crop/flip are on so that resuming is only
# exact if the random states are restored too, and validation runs between
# checkpoints so that it must leave the training streams alone.
_base_ = ['../../configs/e2e/vit_tiny_e2e_digits.py']
model = dict(
    backbone=dict(
        arch=dict(embed_dims=32, num_layers=8, num_heads=2,
                  feedforward_channels=64),
        drop_path_rate=0.1),
    head=dict(in_channels=32))
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=1)
train_pipeline = [
    dict(type='RandomCrop', crop_size=8, padding=1),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32, num_workers=0,
    dataset=dict(indices=256, pipeline=train_pipeline))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=4),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
