"""The process group of a run without CUDA (gloo), under torchrun or Slurm,
and its clean end."""
import os
import shutil
import subprocess

import torch
import torch.distributed as torch_dist


def init_gloo_without_cuda(launcher: str) -> None:
    """Start the process group with gloo on a machine without CUDA (mmengine's
    ``init_dist`` calls ``torch.cuda.set_device`` even for gloo); under Slurm
    from Slurm's variables (:func:`export_slurm_rendezvous`). Nothing when
    CUDA is there or the group exists.

    Example:
        >>> init_gloo_without_cuda('pytorch')  # in a torchrun process
    """
    if torch.cuda.is_available() or torch_dist.is_initialized():
        return
    if launcher == 'slurm':
        export_slurm_rendezvous()
    torch_dist.init_process_group(backend='gloo')


def shut_down_distributed() -> None:
    """End the process group cleanly before the interpreter exits.

    Left to interpreter teardown, gloo's threads can be destroyed while still
    joinable, and one rank aborts with "terminate called without an active
    exception" (SIGABRT) after its work is done, failing the whole launch.
    All ranks meet at a barrier first, so none tears down its connections
    while another still uses them. Call it at the end of every entry point.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def export_slurm_rendezvous() -> None:
    """Set torch's ``env://`` variables from Slurm's for a CPU-only job
    (mmengine's slurm launcher assumes GPUs): rank and world size from
    ``SLURM_PROCID``/``SLURM_NTASKS``, the first host of
    ``SLURM_NODELIST`` as master unless ``MASTER_ADDR`` is set, and
    ``MASTER_PORT`` (default 29500)."""
    missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS')
               if k not in os.environ]
    if missing:
        raise RuntimeError(
            f'--launcher slurm needs {missing} in the environment: start the '
            'job with srun (tools/slurm_train.sh), or use --launcher pytorch '
            'with torchrun (tools/dist_train.sh).')
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ.get('SLURM_NODELIST', '127.0.0.1')
        first = subprocess.run(
            ['scontrol', 'show', 'hostnames', nodes], capture_output=True,
            text=True, check=False).stdout.split() if shutil.which(
                'scontrol') else []
        os.environ['MASTER_ADDR'] = first[0] if first else nodes.split(',')[0]
    os.environ.setdefault('MASTER_PORT', '29500')
