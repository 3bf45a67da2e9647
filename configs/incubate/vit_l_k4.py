# Deep Incubation of ViT-L (depth 24) in K=4 modules of 6 blocks, the paper's
# recipe: meta 300 / incubate 100 (all modules) / fine-tune 100 epochs, total
# batch 2048 (8 GPUs x 256), AdamW lr 2e-3 (5e-4 x 2048/512), wd 0.05,
# cosine to 1e-5, warmup 20 epochs in meta and incubate, none in fine-tuning,
# drop path 0 / 0.1 / 0.5, grad clip 1.0 in fine-tuning.
#   bash tools/dist_train.sh configs/incubate/vit_l_k4.py 8
# Modules on separate machines: see docs/usage.md ("Modules on separate machines").
_base_ = './vit_b_k4.py'

model = dict(
    target=dict(
        backbone=dict(arch='l'),
        head=dict(in_channels=1024)))
# the phases of vit_b_k4.py with fine-tuning at drop path 0.5
train_cfg = _base_.train_cfg
train_cfg.phases[2].drop_path_rate = 0.5
