# A tiny ViT for 8x8 one-channel digits: 8 blocks of width 64, 2x2 patches.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=64, num_layers=8, num_heads=4,
            feedforward_channels=128),
        img_size=8,
        patch_size=2,
        in_channels=1,
        drop_path_rate=0.0,
        init_cfg=[
            dict(type='Kaiming', layer='Conv2d', mode='fan_in',
                 nonlinearity='linear')
        ]),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
