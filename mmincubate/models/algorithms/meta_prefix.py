"""The frozen meta prefix in front of each incubated module, run once."""
from typing import Dict, Sequence

import torch
from torch import nn

from ..adapters import IncubationAdapter


def meta_prefixes(adapter: IncubationAdapter, meta_backbone: nn.Module,
                  inputs: torch.Tensor,
                  prefix_rates: Dict[int, Sequence[float]]
                  ) -> Dict[int, tuple]:
    """``{i: (tokens, context)}``: what enters module ``i`` from the first
    ``i`` meta blocks, run at the drop-path rates ``prefix_rates[i]`` (one
    per block).

    Runs without autograd, once per batch: hybrids whose prefixes have the
    same rates (all of them for equal module depths) share the computation.
    """
    if not prefix_rates:
        return {}
    blocks = adapter.blocks(meta_backbone)
    out = {}
    with torch.no_grad():
        tokens, context = adapter.embed(meta_backbone, inputs)
        cache = {(): tokens}
        for index, rates in prefix_rates.items():
            key: tuple = ()
            for j, rate in enumerate(rates):
                next_key = key + (float(rate), )
                if next_key not in cache:
                    adapter.set_drop_path(blocks[j], rate)
                    cache[next_key] = blocks[j](cache[key])
                key = next_key
            out[index] = (cache[key], context)
    return out
