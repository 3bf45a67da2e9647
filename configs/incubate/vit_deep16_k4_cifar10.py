# Deep Incubation of the deep, narrow CIFAR-10 ViT (16 blocks of width 64):
# the incubation arm of the CIFAR-10 study (configs/benchmarks/).
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10
#   python tools/train.py configs/incubate/vit_deep16_k4_cifar10.py
# Target: configs/e2e/vit_deep16_e2e_cifar10.py's ViT in K=4 modules of 4
# blocks; meta model: 4 blocks. The phases of vit_tiny_k4_cifar10.py (meta
# 20 epochs -> incubate 10 -> fine-tune 10) at batch 64.
_base_ = ['./vit_tiny_k4_cifar10.py']
model = dict(
    target=dict(
        backbone=dict(
            arch=dict(embed_dims=64, num_layers=16, num_heads=2,
                      feedforward_channels=128)),
        head=dict(in_channels=64)))
train_dataloader = dict(batch_size=64)
auto_scale_lr = dict(base_batch_size=64)
