# The DeiT training pipeline at 224 px (imagenet_deit.py: bicubic
# RandomResizedCrop, flip, RandAugment, random erasing) over the CIFAR-10
# folders of cifar10_folder.py, 2 workers: a real decode-and-augment
# workload of ImageNet size where ImageNet is not at hand, for the step-cost
# benchmark (ViT-S at 224, after prepare_cifar10.py wrote data/cifar10):
#   python tools/analysis_tools/benchmark_incubation.py --cfg-options \
#       model.target.backbone.arch=deit-s model.target.head.in_channels=384 \
#       model.target.head.num_classes=10 --batch 8 --iters 5 --warmup 2 \
#       --data configs/_base_/datasets/cifar10_folder_deit224.py
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
