# ImageNet-1k for high-resolution fine-tuning: imagenet_deit.py with the
# 384 px pipelines of imagenet_deit_hires_pipelines.py (DeiT's augmentations;
# eval: resize the short side to 438, center crop 384) at total batch 512
# (8 GPUs x 64). Patch-14 models (ViT-H: 392 px, 28 x 28 tokens) switch to
# train_pipeline_392 / test_pipeline_392.
_base_ = ['./imagenet_deit.py', './imagenet_deit_hires_pipelines.py']
train_dataloader = dict(
    batch_size=64, dataset=dict(pipeline={{_base_.train_pipeline_384}}))
val_dataloader = dict(
    batch_size=64, dataset=dict(pipeline={{_base_.test_pipeline_384}}))
test_dataloader = val_dataloader
