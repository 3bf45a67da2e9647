# ImageNet-1k with the DeiT recipe (as the Deep Incubation release):
# bicubic RandomResizedCrop, flip, RandAugment m9 mstd0.5, random erasing
# 0.25, repeated augmentation x3; eval resize 256 -> center crop 224.
# Mixup 0.8 / CutMix 1.0 live in the model's train_cfg (batch augments).
_base_ = ['mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py']
train_dataloader = dict(
    # one stacked uint8 batch: the data preprocessor moves, converts and
    # normalises it in one go, not image by image (the same numbers)
    collate_fn=dict(type='default_collate'),
    batch_size=256,  # x 8 GPUs = 2048
    num_workers=10,
    persistent_workers=True,
    sampler=dict(_delete_=True, type='RepeatAugSampler', num_repeats=3,
                 shuffle=True),
)
val_dataloader = dict(batch_size=256, num_workers=10)
test_dataloader = val_dataloader
