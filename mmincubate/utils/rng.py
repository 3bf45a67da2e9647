"""Random states of every rank: captured for checkpoints, replayed on resume.

Example:
    >>> states = gather_rng_states()          # collective; before a save
    >>> state = rng_state_for_rank(states, seed=0, iteration=40)
    >>> apply_rng(state)                      # where the stream continues
"""
import random
from typing import List, Optional, Union

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.logging import MMLogger
from mmengine.runner import set_random_seed

#: what :func:`apply_rng` takes: a captured state, or a seed to reseed with
RngState = Union[dict, int]


def derived_seed(seed: int, *key: int) -> int:
    """A seed drawn from (seed, key...), distinct for distinct keys."""
    return int(
        np.random.SeedSequence([int(seed) % 2**32,
                                *map(int, key)]).generate_state(1)[0])


def capture_rng() -> dict:
    """The process's random states, for bitwise-exact resume."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict) -> None:
    """Set the process's random states from :func:`capture_rng`."""
    random.setstate(_to_python(state['python']))
    np.random.set_state(state['numpy'])
    # the runner may load checkpoints onto the GPU (map_location 'default');
    # random states must be CPU byte tensors
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        cuda_states = state['cuda'][:torch.cuda.device_count()]
        for index, cuda_state in enumerate(cuda_states):
            torch.cuda.set_rng_state(cuda_state.cpu(), index)


def _to_python(value):
    """random.setstate needs tuples; a checkpoint round trip keeps them."""
    if isinstance(value, list):
        return tuple(_to_python(v) for v in value)
    return value


def gather_rng_states() -> List[dict]:
    """Every rank's random states, indexed by rank (a collective in a
    distributed run: all ranks must call it; rank 0 alone writes the
    checkpoint and cannot reach the others' states from there)."""
    if get_dist_info()[1] > 1:
        return all_gather_object(capture_rng())
    return [capture_rng()]


def rng_state_for_rank(saved, seed: Optional[int],
                       iteration: int) -> Optional[RngState]:
    """This rank's random state from a checkpoint's per-rank list, or, when
    the checkpoint cannot give it, a deterministic seed.

    Resumed with the same number of processes, rank r gets entry r and the
    run continues bit for bit (on CPU; as far as the kernels are
    deterministic on GPU). With a different number of processes the data
    sharding changes and exact replay is impossible anyway, so, like
    mmengine when resuming on another number of GPUs, the run goes on with a
    warning: every rank is reseeded from (seed, iteration, rank),
    reproducibly and with distinct streams per rank. A single dict counts as
    one written by one process; ``None`` entries are ranks whose states
    were not gathered.
    """
    if saved is None:
        return None
    if isinstance(saved, dict):
        saved = [saved]
    rank, world_size = get_dist_info()
    if len(saved) == world_size and saved[rank] is not None:
        return saved[rank]
    if len(saved) != world_size:
        reason = (f'the checkpoint was written by {len(saved)} '
                  f'process(es), this run has {world_size}')
    else:
        reason = f'the checkpoint holds no random state of rank {rank}'
    reseed = derived_seed(seed or 0, iteration, rank)
    MMLogger.get_current_instance().warning(
        f'Exact replay of the random streams is not possible: {reason}. '
        f'Rank {rank} is reseeded with {reseed} (from the seed, the '
        'iteration and the rank).')
    return reseed


def apply_rng(state: Optional[RngState]) -> None:
    """Restore a captured state, reseed with an int, or do nothing."""
    if isinstance(state, int):
        set_random_seed(state)
    elif state is not None:
        restore_rng(state)
