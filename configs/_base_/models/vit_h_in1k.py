# ViT-H classifier for ImageNet-1k as in Deep Incubation (vit_h_arch.py: patch
# 14, qkv bias False, LayerNorm eps 1e-5); otherwise as vit_b_in1k.py.
_base_ = ['./vit_b_in1k.py', './vit_h_arch.py']

model = dict(backbone={{_base_.vit_h_arch}}, head=dict(in_channels=1280))
