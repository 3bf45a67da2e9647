# COCO instances at the common 1333x800 multi-scale recipe: shorter side
# 480..800 (step 32), longer side <= 1333, flip; test at 1333x800.
# Layout: data/coco/{train2017,val2017,annotations/instances_*2017.json}.
_base_ = 'mmdet::_base_/datasets/coco_instance.py'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, s) for s in range(480, 801, 32)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
