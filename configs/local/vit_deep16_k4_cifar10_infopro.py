# InfoPro-style local learning of the 16-block CIFAR-10 ViT: the DGL config
# with InfoPro's local loss (auxiliary classifier and patch decoder, the
# official K=4 weights: reconstruction 1 -> 0, cross-entropy 0 -> 1 over
# modules 0..2; the last module trains on the target's own head).
#   python tools/train.py configs/local/vit_deep16_k4_cifar10_infopro.py
_base_ = ['./vit_deep16_k4_cifar10_dgl.py']
model = dict(lambda_ce=(0.0, 1.0), lambda_rec=(1.0, 0.0))
