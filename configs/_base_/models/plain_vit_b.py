# The plain ViT-B backbone of the detection and segmentation model bases
# (mmincubate.PlainViT, mmpretrain names, global attention in every block, no
# windowing), as a new name only, so a model base can list this file beside
# its mmdet / mmseg base and use `_base_.plain_vit_b`, adding its own
# `out_indices`. It loads a classifier checkpoint strictly (every backbone
# key, or an error with the key lists); the leaf configs set
# `model.backbone.init_cfg.checkpoint`.
plain_vit_b = dict(
    type='mmincubate.PlainViT',
    arch='b',
    img_size=224,  # pos_embed is interpolated to every input size
    patch_size=16,
    qkv_bias=True,
    norm_cfg=dict(type='LN', eps=1e-6),
    final_norm=True,
    drop_path_rate=0.1,
    with_cp=False,
    init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.'))
