# scikit-learn's bundled 8x8 handwritten digits (real data, no download):
# 1,442 training and 355 validation images, one channel.
dataset_type = 'DigitsDataset'
data_preprocessor = dict(
    num_classes=10, mean=[127.5], std=[127.5], to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=8, padding=1),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    # one stacked uint8 batch: the data preprocessor moves, converts and
    # normalises it in one go, not image by image (the same numbers)
    collate_fn=dict(type='default_collate'),
    batch_size=64,
    num_workers=0,
    dataset=dict(type=dataset_type, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(type=dataset_type, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
