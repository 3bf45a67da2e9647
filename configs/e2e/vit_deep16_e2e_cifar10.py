# A deep, narrow ViT on real CIFAR-10 trained end to end: the E2E arm of the
# CIFAR-10 study (configs/benchmarks/cifar10_deep16_*.py), the CPU-scale
# counterpart of the paper's deep narrow DeiT-T on CIFAR-100.
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10
#   python tools/train.py configs/e2e/vit_deep16_e2e_cifar10.py
# 16 blocks of width 64 (2 heads, MLP 128) on 4x4 patches (64 tokens + cls),
# 0.8M parameters; batch 64, 20 epochs (1 warmup epoch, then cosine).
_base_ = ['./vit_tiny_e2e_cifar10.py']
model = dict(
    backbone=dict(
        arch=dict(embed_dims=64, num_layers=16, num_heads=2,
                  feedforward_channels=128)),
    head=dict(in_channels=64))
train_dataloader = dict(batch_size=64)
# lr 1e-3 at batch 64; --auto-scale-lr rescales it
auto_scale_lr = dict(base_batch_size=64)
