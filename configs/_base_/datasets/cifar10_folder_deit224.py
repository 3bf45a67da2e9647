# The DeiT training pipeline at 224 px (imagenet_deit.py: bicubic
# RandomResizedCrop, flip, RandAugment, random erasing) over the CIFAR-10
# folders of cifar10_folder.py, 2 workers: a real decode-and-augment
# workload of ImageNet size where ImageNet is not at hand, for the step-cost
# benchmark: pass this file to benchmark_incubation.py's --data option
# (docs/performance.md has the ViT-S command and its figures; run
# tools/dataset_converters/prepare_cifar10.py first to write data/cifar10).
_base_ = ['./imagenet_deit.py']
train_dataloader = dict(
    num_workers=2,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/cifar10',
        data_prefix='train',
        pipeline={{_base_.train_pipeline}}),
)
