# UperNet with a plain ViT-B (mmpretrain names): features of blocks 2, 5, 8,
# 11 (0-based), a multi-level neck (x4, x2, x1, x0.5), UPerHead and an FCN
# auxiliary head; 150 ADE20K classes. The backbone loads a classifier
# checkpoint strictly; the leaf configs set
# `model.backbone.init_cfg.checkpoint`.
_base_ = 'mmseg::_base_/models/upernet_vit-b16_ln_mln.py'

model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(512, 512)),
    backbone=dict(
        _delete_=True,
        type='mmincubate.PlainViT',
        arch='b',
        img_size=224,  # pos_embed is interpolated to every input size
        patch_size=16,
        qkv_bias=True,
        norm_cfg=dict(type='LN', eps=1e-6),
        out_indices=(2, 5, 8, 11),
        final_norm=True,
        drop_path_rate=0.1,
        with_cp=False,
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')),
    neck=dict(in_channels=[768] * 4, out_channels=768, scales=[4, 2, 1, 0.5]),
    decode_head=dict(in_channels=[768] * 4, num_classes=150),
    auxiliary_head=dict(in_channels=768, num_classes=150),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
