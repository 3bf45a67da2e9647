"""Run a benchmark: incubation against its E2E twin at equal cost.

    python tools/run_benchmark.py CONFIG [--work-dir DIR]
                                  [--launcher none|pytorch|slurm] [--gpus N]
                                  [--seeds S ...] [--cfg-options k=v ...]

CONFIG is a benchmark config (``configs/benchmarks/``, see
``mmincubate/benchmark/plan.py`` for its keys). For every seed it trains the
incubation arm, then the E2E arm with its length set so that its total
training FLOPs (``match='flops'``) or wall time (``'time'``) equal the
incubation arm's whole schedule (meta + incubation + fine-tuning; the budget
is the incubation run of the first seed run in DIR, measured; more seeds
may join DIR later), then each downstream task
from each arm's final weights. Every run is a normal ``tools/train.py`` run
with its own work_dir and complete config (``DIR/<arm>_seed<s>/config.py``).
A second call skips finished runs and resumes unfinished ones from their
latest checkpoint. At the end it writes ``results.json``, ``results.md``
and ``cost_accuracy.png`` into DIR and prints the table.

Example (the README's first command, minutes on 2 CPU cores):

    python tools/run_benchmark.py configs/benchmarks/digits_incubation_vs_e2e.py
"""
import argparse
import json
import os
import os.path as osp
import platform
import subprocess
import sys
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.config import Config  # noqa: E402

from mmincubate.benchmark import plan as P  # noqa: E402
from mmincubate.benchmark.plot import plot_cost_accuracy  # noqa: E402
from mmincubate.benchmark.results import (PHASE_TAGS, aggregate,  # noqa
                                          load_summary, markdown,
                                          phase_value)
from mmincubate.utils.cfg_options import LiteralDictAction  # noqa: E402
from mmincubate.utils.checkpoint import (dump_json_atomic,  # noqa: E402
                                         write_atomic)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Incubation against E2E training at equal cost')
    parser.add_argument('config', help='benchmark config file')
    parser.add_argument('--work-dir',
                        help='default: work_dirs/<config file name>')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none',
                        help='pytorch: torch.distributed.run on this '
                        'machine; slurm: srun inside an allocation')
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes per run with a launcher')
    parser.add_argument('--port', type=int, default=29500)
    parser.add_argument('--seeds', type=int, nargs='+',
                        help='override the benchmark\'s seeds')
    parser.add_argument(
        '--cfg-options', nargs='+', action=LiteralDictAction,
        help='overrides applied to both arms\' configs (after the '
        'benchmark\'s own), e.g. optim_wrapper.optimizer.lr=2e-3')
    return parser.parse_args(argv)


class Benchmark:

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.spec = P.load_benchmark(args.config)
        if args.seeds:
            self.spec['seeds'] = list(args.seeds)
        self.spec['cfg_options'].update(args.cfg_options or {})
        name = osp.splitext(osp.basename(args.config))[0]
        self.work_dir = osp.abspath(args.work_dir
                                    or osp.join('work_dirs', name))
        self.world_size = 1 if args.launcher == 'none' else args.gpus
        os.makedirs(self.work_dir, exist_ok=True)
        self.plan_path = osp.join(self.work_dir, 'plan.json')
        self.plan = self._load_plan()

    # ------------------------------------------------------------------
    def _load_plan(self) -> dict:
        fresh = dict(benchmark=self.spec, world_size=self.world_size)
        if not osp.isfile(self.plan_path):
            return fresh
        with open(self.plan_path) as f:
            plan = json.load(f)
        for key in ('benchmark', 'world_size'):
            # more (or other) seeds may join a benchmark: same budget
            if _without_seeds(plan.get(key)) != _without_seeds(fresh[key]):
                raise SystemExit(
                    f'error: {self.work_dir} holds a benchmark with another '
                    f'{key} ({plan.get(key)} vs {fresh[key]}); use another '
                    '--work-dir or delete it.')
        plan['benchmark'] = self.spec
        return plan

    def _save_plan(self) -> None:
        dump_json_atomic(self.plan, self.plan_path)

    def _command(self, config: str, work_dir: str, resume: bool) -> list:
        args = self.args
        train = [osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir',
                 work_dir] + (['--resume'] if resume else [])
        if args.launcher == 'none':
            return [sys.executable] + train
        if args.launcher == 'pytorch':
            return [sys.executable, '-m', 'torch.distributed.run',
                    f'--nproc_per_node={args.gpus}',
                    f'--master_port={args.port}'] + train + [
                        '--launcher', 'pytorch']
        return ['srun', f'--ntasks={args.gpus}', '--kill-on-bad-exit=1',
                sys.executable, '-u'] + train + ['--launcher', 'slurm']

    def train(self, cfg: Config, work_dir: str) -> dict:
        """Run (or resume, or skip) one training run; its summary."""
        if osp.isfile(osp.join(work_dir, 'summary.json')):
            summary = load_summary(work_dir)
            if summary.get('finished'):
                print(f'[benchmark] {work_dir}: finished, skipped')
                return summary
        config = osp.join(work_dir, 'config.py')
        resume = osp.isfile(config)
        if not resume:
            os.makedirs(work_dir, exist_ok=True)
            cfg.dump(config)  # complete: no _base_
        print(f'[benchmark] {"resuming" if resume else "training"} '
              f'{work_dir}', flush=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [ROOT] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
        proc = subprocess.run(self._command(config, work_dir, resume),
                              env=env)
        if proc.returncode != 0:
            raise SystemExit(
                f'error: the run in {work_dir} failed (exit status '
                f'{proc.returncode}); its log is in that folder. Fix it and '
                'call run_benchmark.py again to resume.')
        return load_summary(work_dir)

    # ------------------------------------------------------------------
    def e2e_length(self, incubation: dict) -> dict:
        """Set once per work_dir, from the first incubation run in it."""
        if 'e2e_length' in self.plan:
            return self.plan['e2e_length']
        match = self.spec['match']
        total = incubation['cost']['total']
        budget = total['flops'] if match == 'flops' else total['seconds']
        cfg = P.arm_config(self.spec, 'e2e', self.spec['seeds'][0])
        probe = P.probe_train_step(cfg, timed_steps=0 if match == 'flops'
                                   else 8)
        per_image = probe['flops_per_image'] if match == 'flops' else \
            probe['seconds_per_image'] / self.world_size
        length = P.e2e_length(cfg, budget, per_image,
                              probe['images_per_epoch'], self.world_size)
        self.plan.update(budget=dict(match=match, value=budget,
                                     incubation_total=total,
                                     seed=self.spec['seeds'][0]),
                         e2e_probe=probe, e2e_length=length)
        self._save_plan()
        print(f'[benchmark] incubation arm: {total["flops"] / 1e12:.4f} '
              f'TFLOPs, {total["seconds"]:.1f} s; E2E arm gets {length}')
        return length

    def export_final(self, work_dir: str) -> str:
        """The E2E run's last weights as ``final.pth`` (like incubation's),
        for downstream transfer and tools/test.py."""
        from mmincubate.models.assembly import classifier_checkpoint
        from mmincubate.utils import (get_state_dict, load_checkpoint_file,
                                      save_checkpoint_atomic)
        final = osp.join(work_dir, 'final.pth')
        if not osp.isfile(final):
            with open(osp.join(work_dir, 'last_checkpoint')) as f:
                last = f.read().strip()
            state = get_state_dict(load_checkpoint_file(
                last, trust_mmengine=True), last)
            save_checkpoint_atomic(
                classifier_checkpoint(state, role='final', source=last),
                final)
        return final

    def downstream(self, arm: str, seed: int, checkpoint: str) -> dict:
        values = {}
        for task in self.spec['downstream']:
            cfg = Config.fromfile(task['config'])
            cfg.merge_from_dict(dict(task['cfg_options']))
            cfg.merge_from_dict({
                task['checkpoint_key']: checkpoint,
                'randomness.seed': seed,
                'default_hooks.cost': dict(
                    type='mmincubate.CostAccountingHook'),
            })
            summary = self.train(
                cfg, osp.join(P.run_dir(self.work_dir, arm, seed),
                              task['name']))
            values[task['name']] = summary.get('final', {}).get(
                task['metric'])
        return values

    # ------------------------------------------------------------------
    def run(self) -> dict:
        rows = []
        runs = []
        for seed in self.spec['seeds']:
            inc_dir = P.run_dir(self.work_dir, 'incubation', seed)
            incubation = self.train(
                P.arm_config(self.spec, 'incubation', seed), inc_dir)
            length = self.e2e_length(incubation)
            cfg = P.arm_config(self.spec, 'e2e', seed)
            for change in P.with_length(cfg, length):
                print(f'[benchmark] e2e: {change}')
            e2e_dir = P.run_dir(self.work_dir, 'e2e', seed)
            e2e = self.train(cfg, e2e_dir)
            finals = dict(incubation=osp.join(inc_dir, 'final.pth'),
                          e2e=self.export_final(e2e_dir))
            for arm, summary in (('incubation', incubation), ('e2e', e2e)):
                row = self.row(arm, seed, summary)
                row.update(self.downstream(arm, seed, finals[arm]))
                rows.append(row)
                runs.append((arm, seed, summary))
        return self.write_results(rows, runs)

    def row(self, arm: str, seed: int, summary: dict) -> dict:
        total = summary['cost']['total']
        row = dict(arm=arm, seed=seed, tflops=total['flops'] / 1e12,
                   seconds=total['seconds'],
                   gpu_seconds=total['gpu_seconds'], images=total['images'],
                   stages=summary['cost']['stages'])
        for tag in PHASE_TAGS:
            row[tag] = phase_value(summary, tag, self.spec['metric'])
        budget = self.plan['budget']
        key = 'flops' if budget['match'] == 'flops' else 'seconds'
        row['cost_ratio'] = total[key] / budget['value']
        return row

    def write_results(self, rows: List[dict], runs: list) -> dict:
        columns = [t for t in PHASE_TAGS
                   if any(r[t] is not None for r in rows)]
        columns += [t['name'] for t in self.spec['downstream']]
        stats = aggregate(rows, ['tflops', 'seconds'] + columns)
        title = (f'{osp.basename(self.args.config)}: '
                 f'{self.spec["metric"]}, equal {self.spec["match"]}')
        table = markdown(rows, stats, columns, title)
        png = plot_cost_accuracy(
            [s for _, _, s in runs], [a for a, _, _ in runs],
            osp.join(self.work_dir, 'cost_accuracy.png'),
            metric=self.spec['metric'],
            x='flops' if self.spec['match'] == 'flops' else 'seconds',
            title=osp.splitext(osp.basename(self.args.config))[0])
        import torch
        results = dict(
            benchmark=self.spec, plan=self.plan, rows=rows, aggregate=stats,
            machine=dict(platform=platform.platform(),
                         processor=platform.processor(),
                         cpus=os.cpu_count(),
                         torch=torch.__version__,
                         torch_threads=torch.get_num_threads(),
                         gpu=torch.cuda.get_device_name(0)
                         if torch.cuda.is_available() else None,
                         world_size=self.world_size))
        dump_json_atomic(results, osp.join(self.work_dir, 'results.json'))
        write_atomic(osp.join(self.work_dir, 'results.md'),
                     lambda f: f.write(table), binary=False)
        print(table)
        print(f'[benchmark] wrote {self.work_dir}/results.json, results.md, '
              f'{osp.basename(png)}')
        return results


def _without_seeds(value):
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != 'seeds'}
    return value


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    try:
        benchmark = Benchmark(args)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'error: {error}')
    return benchmark.run()


if __name__ == '__main__':
    main()
