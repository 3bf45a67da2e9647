# AdamW for fine-tuning a plain ViT inside a dense-prediction model (Mask
# R-CNN, UperNet): lr 1e-4, betas (0.9, 0.999), wd 0.05, AMP with dynamic
# loss scaling, layer-wise lr decay through
# mmincubate.LayerDecayOptimWrapperConstructor. Only `optim_wrapper` here, so
# a schedule can list this file beside its runtime; the schedule sets the
# ViT-B decay rate (`paramwise_cfg.layer_decay_rate`), a leaf its arch's.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    constructor='mmincubate.LayerDecayOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05))
