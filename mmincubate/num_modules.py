"""K of a ``DeepIncubation`` model config, read without importing the
models (no torch): the shell scripts that start one job per module
(``tools/dist_incubate.sh``, ``tools/slurm_incubate.sh``) ask for it first.

Example:
    >>> from mmincubate.num_modules import num_modules_of
    >>> num_modules_of(dict(module_depths=[2, 4, 2]))
    3
"""

#: K when neither num_modules nor module_depths is given (the paper's)
DEFAULT_NUM_MODULES = 4


def num_modules_of(model_cfg: dict) -> int:
    """K of a ``DeepIncubation`` model config (``module_depths`` or
    ``num_modules``, else the model's default)."""
    if model_cfg.get('module_depths') is not None:
        return len(model_cfg['module_depths'])
    return int(model_cfg.get('num_modules') or DEFAULT_NUM_MODULES)
