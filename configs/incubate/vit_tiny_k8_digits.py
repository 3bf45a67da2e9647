# The digits demo split into K=8 modules (the K ablation):
#   python tools/train.py configs/incubate/vit_tiny_k8_digits.py
# Target: the 8-block ViT of vit_tiny_k4_digits.py in 8 modules of
# 1 block(s); meta model: 8 blocks. The demo's phases and lengths,
# every module incubated in parallel.
_base_ = ['./vit_tiny_k4_digits.py']
model = dict(num_modules=8)
