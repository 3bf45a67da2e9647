# CIFAR-10 as image folders (ImageNet-style layout), as written by
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10
# data/cifar10/{train,val}/<class>/*.{jpg,png}: 45,000 training and 5,000
# validation images of 32x32, both from the official training split (val:
# the last 500 of every class); test evaluates val.
# Another location (each dataloader has its own copy):
#   --cfg-options train_dataloader.dataset.data_root=DIR \
#       val_dataloader.dataset.data_root=DIR \
#       test_dataloader.dataset.data_root=DIR
dataset_type = 'CustomDataset'
data_root = 'data/cifar10'
data_preprocessor = dict(
    num_classes=10,
    # CIFAR-10 RGB statistics; LoadImageFromFile reads BGR, hence to_rgb
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    # one stacked uint8 batch: the data preprocessor moves, converts and
    # normalises it in one go, not image by image (the same numbers)
    collate_fn=dict(type='default_collate'),
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
