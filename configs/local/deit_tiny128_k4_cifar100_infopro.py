# InfoPro-style local learning of DeiT-T with 128 blocks on CIFAR-100 (the
# paper's Table 2: 73.2 top-1 in 7.4 A100-hours).
#   python tools/train.py configs/local/deit_tiny128_k4_cifar100_infopro.py
_base_ = ['./deit_tiny128_k4_cifar100_dgl.py']
model = dict(lambda_ce=(0.0, 1.0), lambda_rec=(1.0, 0.0))
