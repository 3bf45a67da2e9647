# CIFAR-10 as cifar10_folder.py lays it out (data/cifar10/{train,val}), read
# and decoded once into memory (InMemoryCustomDataset): the same random crop
# and flip as the folder pipeline, no file reads or decoding per epoch and no
# loader worker processes competing with training for the cores. For small
# images on a CPU; a GPU job with spare cores may prefer the folder pipeline.
_base_ = ['./cifar10_folder.py']
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type='InMemoryCustomDataset', pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type='InMemoryCustomDataset', pipeline=test_pipeline))
test_dataloader = val_dataloader
