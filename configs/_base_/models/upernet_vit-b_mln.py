# UperNet with a plain ViT-B (plain_vit_b.py, mmpretrain names): features of
# blocks 2, 5, 8, 11 (0-based), a multi-level neck (x4, x2, x1, x0.5),
# UPerHead and an FCN auxiliary head; 150 ADE20K classes. The backbone loads a
# classifier checkpoint strictly; the leaf configs set
# `model.backbone.init_cfg.checkpoint`.
_base_ = ['mmseg::_base_/models/upernet_vit-b16_ln_mln.py', './plain_vit_b.py']

model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(512, 512)),
    backbone=dict(
        _delete_=True, **_base_.plain_vit_b, out_indices=(2, 5, 8, 11)),
    neck=dict(in_channels=[768] * 4, out_channels=768, scales=[4, 2, 1, 0.5]),
    decode_head=dict(in_channels=[768] * 4, num_classes=150),
    auxiliary_head=dict(in_channels=768, num_classes=150),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
