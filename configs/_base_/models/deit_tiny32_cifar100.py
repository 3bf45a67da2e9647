# DeiT-T made deep for CIFAR-100 as in the paper's Table 2: width 192, 3
# heads, MLP 768, 32 blocks (the 128-block variant sets num_layers=128) on
# 4x4 patches of 32x32 images (64 tokens + cls); vit_b_in1k.py's init, head
# loss and DeiT regularisation (Mixup 0.8 / CutMix 1.0, label smoothing 0.1),
# drop path 0.1.
_base_ = ['./vit_b_in1k.py']
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=192, num_layers=32, num_heads=3,
                  feedforward_channels=768),
        img_size=32,
        patch_size=4,
        drop_path_rate=0.1),
    head=dict(num_classes=100, in_channels=192),
)
