# Deep Incubation of ViT-B (depth 12) in K=4 modules of 3 blocks, the paper's
# recipe: meta 300 / incubate 100 (all modules) / fine-tune 100 epochs, total
# batch 2048 (8 GPUs x 256), AdamW lr 2e-3 (5e-4 x 2048/512), wd 0.05,
# cosine to 1e-5, warmup 20 epochs in meta and incubate, none in fine-tuning,
# drop path 0 / 0.1 / 0.1, grad clip 1.0 in fine-tuning: the phases of
# configs/_base_/schedules/incubation_paper.py.
#   bash tools/dist_train.sh configs/incubate/vit_b_k4.py 8
# Modules on separate machines: see docs/usage.md ("Modules on separate machines").
_base_ = [
    '../_base_/models/vit_b_in1k.py', '../_base_/datasets/imagenet_deit.py',
    '../_base_/schedules/incubation_paper.py', '../_base_/default_runtime.py'
]
model = dict(
    _delete_=True,
    type='DeepIncubation',
    target={{_base_.model}},
    num_modules=4,
    data_preprocessor={{_base_.data_preprocessor}},
)
