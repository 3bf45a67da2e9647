# Pipelines for the digits at twice their resolution (16x16, bicubic), for
# high-resolution fine-tuning at CPU scale. Only new names here, so a config
# can list this file beside a full config in `_base_` and use them.
digits_train_pipeline_16 = [
    dict(type='Resize', scale=(16, 16), interpolation='bicubic'),
    dict(type='RandomCrop', crop_size=16, padding=2),
    dict(type='PackInputs'),
]
digits_test_pipeline_16 = [
    dict(type='Resize', scale=(16, 16), interpolation='bicubic'),
    dict(type='PackInputs'),
]
