# InfoPro-style local learning of DeiT-T with 32 blocks on CIFAR-100 (the
# paper's Table 2: 73.3 top-1 in 2.0 A100-hours): the DGL config with
# InfoPro's loss (auxiliary classifier and patch decoder, the official K=4
# weights: reconstruction 1 -> 0, cross-entropy 0 -> 1 over modules 0..2).
#   python tools/train.py configs/local/deit_tiny32_k4_cifar100_infopro.py
_base_ = ['./deit_tiny32_k4_cifar100_dgl.py']
model = dict(lambda_ce=(0.0, 1.0), lambda_rec=(1.0, 0.0))
