# COCO instances with ViTDet's large-scale jitter: resize to 1024 x
# [0.1, 2.0], crop to 1024x1024, flip; test with the longer side at 1024.
# Padding to 1024x1024 happens in the model's data preprocessor, not here:
# mmcv's Pad would move `img_shape` to the padded size, so boxes predicted in
# the padding would be pasted outside the image.
_base_ = 'mmdet::_base_/datasets/coco_instance.py'

image_size = (1024, 1024)
# what the LSJ configs set as `model.data_preprocessor`: pad every batch to
# 1024x1024, at test time too (the position embedding sees the layout of
# training; img_shape stays the image's)
lsj_data_preprocessor = dict(
    pad_size_divisor=1024,
    batch_augments=[
        dict(type='BatchFixedSizePad', size=image_size, pad_mask=True)
    ])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomResize',
        scale=image_size,
        ratio_range=(0.1, 2.0),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_type='absolute_range',
        crop_size=image_size,
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    dataset=dict(pipeline=train_pipeline),
    batch_sampler=None)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
