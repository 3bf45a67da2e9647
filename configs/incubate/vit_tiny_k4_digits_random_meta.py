# Ablation: incubation inside an untrained, frozen meta model. The digits
# demo without its meta phase: the modules are incubated inside the meta
# model at its random initialisation (never trained, never loaded), then
# assembled and fine-tuned as in the demo.
#   python tools/train.py configs/incubate/vit_tiny_k4_digits_random_meta.py
_base_ = ['./vit_tiny_k4_digits.py']
model = dict(meta_init='random')
train_cfg = dict(
    type='IncubationLoop',
    phases=[
        dict(phase='incubate', max_epochs=10, val_interval=10,
             drop_path_rate=0.1, mode='parallel'),
        dict(phase='finetune', max_epochs=40, val_interval=10,
             drop_path_rate=0.1,
             optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
    ])
