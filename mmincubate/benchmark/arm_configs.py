"""Where a benchmark's arm and downstream configs are.

A relative ``config`` in a benchmark config is looked for, in this order:

1. in the benchmark config's own directory (as ``_base_`` is);
2. in the project root above it: the nearest directory above the benchmark
   config that holds a ``configs/`` folder (``configs/benchmarks/x.py``
   names ``configs/incubate/...``);
3. in the root of the project this package belongs to (a benchmark config
   kept elsewhere that names the shipped ``configs/...``);
4. in the current directory (where earlier versions looked only).

An absolute path is taken as it is. The first place that holds the file
wins, so the same benchmark config means the same files from any directory.
"""
import os
import os.path as osp
from typing import Dict, List, Tuple

#: the root of the checkout this package belongs to
PACKAGE_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def project_root(benchmark_path: str) -> str:
    """The nearest directory above ``benchmark_path`` that holds a
    ``configs/`` folder, or '' if none does."""
    folder = osp.dirname(osp.abspath(benchmark_path))
    while True:
        if osp.isdir(osp.join(folder, 'configs')):
            return folder
        parent = osp.dirname(folder)
        if parent == folder:
            return ''
        folder = parent


def places(config: str, benchmark_path: str) -> List[Tuple[str, str]]:
    """(path, what that place is) for every place ``config`` is looked
    for, in order, without repeats."""
    config = osp.expanduser(config)
    if osp.isabs(config):
        return [(osp.normpath(config), 'an absolute path')]
    roots = [(osp.dirname(osp.abspath(benchmark_path)),
              "the benchmark config's directory"),
             (project_root(benchmark_path),
              'the project root above the benchmark config'),
             (PACKAGE_ROOT if osp.isdir(osp.join(PACKAGE_ROOT, 'configs'))
              else '', "mmincubate's project root"),
             (os.getcwd(), 'the current directory')]
    found: List[Tuple[str, str]] = []
    for root, what in roots:
        path = osp.normpath(osp.join(root, config))
        if root and path not in [p for p, _ in found]:
            found.append((path, what))
    return found


def resolve(spec: dict, benchmark_path: str) -> Dict[str, str]:
    """The absolute path of every config a (normalized) benchmark names:
    keyed by arm name and by each downstream task's name.

    Raises FileNotFoundError naming each missing config, its arm and the
    places it was looked for (one paragraph)."""
    named = [(arm, f'the {arm} arm', f'benchmark.arms.{arm}.config',
              value['config']) for arm, value in spec['arms'].items()]
    named += [(task['name'], f'the downstream task {task["name"]!r}',
               f'benchmark.downstream[{index}].config', task['config'])
              for index, task in enumerate(spec.get('downstream', []))]
    resolved, missing = {}, []
    for key, label, field, config in named:
        candidates = places(config, benchmark_path)
        path = next((p for p, _ in candidates if osp.isfile(p)), None)
        if path is not None:
            resolved[key] = path
            continue
        looked = '; '.join(f'{p} ({what})' for p, what in candidates)
        missing.append(f'the config of {label}, {field}={config!r}, does '
                       f'not exist: looked for it at {looked}.')
    if missing:
        raise FileNotFoundError(
            f'{benchmark_path}: ' + ' And '.join(missing) +
            ' A relative path is taken from the benchmark config\'s '
            'directory first, then from the project root (the folder '
            'holding configs/), then from the current directory; fix the '
            'path in the benchmark config. Nothing was written.')
    return resolved
