# configs/e2e/vit_deep16_e2e_cifar10.py reading CIFAR-10 from the image
# folders (cifar10_folder.py's pipeline: decode every image every epoch, two
# loader workers), as the study's configs did before the in-memory dataset:
# the reference of the whole-run speed comparison
#   python tools/analysis_tools/benchmark_run.py configs/e2e/vit_deep16_e2e_cifar10_folder.py configs/e2e/vit_deep16_e2e_cifar10.py
_base_ = ['./vit_deep16_e2e_cifar10.py']
train_dataloader = dict(
    num_workers=2,
    persistent_workers=True,
    dataset=dict(type='CustomDataset', pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]))
val_dataloader = dict(
    num_workers=2,
    persistent_workers=True,
    dataset=dict(type='CustomDataset', pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='PackInputs'),
    ]))
test_dataloader = val_dataloader
