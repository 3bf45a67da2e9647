# CIFAR-100 through mmpretrain's CIFAR100 dataset: the official python files
# (cifar-100-python/, 50,000 training and 10,000 test images of 32x32) under
# data/cifar100. Make the folder first; mmpretrain downloads the archive into
# it where the machine reaches the internet, or unpack
# https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz there yourself:
#   mkdir -p data/cifar100
# Training: random crop with 4 pixels of padding and horizontal flips, with
# the models' Mixup/CutMix; validation and test: the official test split.
dataset_type = 'CIFAR100'
data_root = 'data/cifar100'
data_preprocessor = dict(
    num_classes=100,
    # CIFAR-100 RGB statistics; the dataset's arrays are RGB already
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='test',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
