# The end-to-end baseline of incubation_paper.py: DeiT's optimiser at total
# batch 2048 for 300 epochs, warmup from 1e-6 for 20 epochs, then cosine to
# 1e-5, no gradient clipping, validation every 10 epochs.
_base_ = './deit_adamw.py'

optim_wrapper = dict(clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / 2e-3, by_epoch=True, begin=0,
         end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=20,
         end=300, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=10)
