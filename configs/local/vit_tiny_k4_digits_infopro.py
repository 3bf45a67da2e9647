# InfoPro (Wang et al., ICLR 2021) on the digits target: DGL's split and
# linear auxiliary classifiers, and a patch decoder per module that
# reconstructs the (normalised) image from the module's tokens. Module i's
# loss is lambda_rec * MSE + lambda_ce * CE, the weights InfoPro's linear
# schedule over modules 0..K-2 from (first, last): its official K=4
# setting (reconstruction 1 -> 0, cross-entropy 0 -> 1), so earlier
# modules weigh reconstruction more.
#   python tools/train.py configs/local/vit_tiny_k4_digits_infopro.py
_base_ = ['./vit_tiny_k4_digits_dgl.py']
model = dict(lambda_ce=(0.0, 1.0), lambda_rec=(1.0, 0.0))
