# hires_finetune.py for an incubated model (DeepIncubation): an
# IncubationLoop with only its fine-tuning phase, which fine-tunes the
# assembled target (model.target_checkpoint) end to end; drop path 0.1
# (ViT-B's at 224). A leaf sets its own, e.g. finetune/vit_l_k4_ft384.py:
#   train_cfg = _base_.train_cfg
#   train_cfg.phases[0].drop_path_rate = 0.5
_base_ = './hires_finetune.py'

train_cfg = dict(
    _delete_=True,
    type='IncubationLoop',
    phases=[
        dict(phase='finetune', max_epochs=30, val_interval=5,
             drop_path_rate=0.1)
    ])
custom_hooks = [dict(type='IncubationHook')]
