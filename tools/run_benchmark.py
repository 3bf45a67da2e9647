"""Run a benchmark: incubation against its E2E twin at equal cost.

    python tools/run_benchmark.py CONFIG [--work-dir DIR]
                                  [--launcher none|pytorch|slurm] [--gpus N]
                                  [--seeds S ...] [--cfg-options k=v ...]
                                  [--dry-run]

CONFIG is a benchmark config (``configs/benchmarks/``, see
``mmincubate/benchmark/plan.py`` for its keys). A relative arm or downstream
config path is looked for in CONFIG's directory, then in the project root
(the folder holding ``configs/``), then in the current directory
(``mmincubate/benchmark/arm_configs.py``); a missing one stops the tool
before anything is written. For every seed it trains the incubation arm,
then the E2E arm with its length set so that its total training FLOPs
(``match='flops'``) or wall time (``'time'``) equal the incubation arm's
whole schedule (meta + incubation + fine-tuning; the budget is the
incubation run of the first seed run in DIR, measured), then each
downstream task from each arm's final weights. Every run is a normal
``tools/train.py`` run with its own work_dir and complete config
(``DIR/<arm>_seed<s>/config.py``).
A second call skips finished runs and resumes unfinished ones from their
latest checkpoint. At the end it writes ``results.json``, ``results.md``
and ``cost_accuracy.png`` into DIR and prints the table.

DIR holds one benchmark (``DIR/plan.json``). Another call with other
``--seeds`` adds them: the plan's seeds become the union of the planned and
the requested ones, this call trains the requested ones, and the results
list every finished seed of the plan. Any other change (an arm's config or
``cfg_options``, ``--cfg-options``, ``match``, the metric, downstream tasks,
the number of processes) is refused before anything is written, with each
change, its old and its new value: a new --work-dir starts a new benchmark.
``--dry-run`` shows where the configs were found and what would run.

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

from mmincubate.benchmark import arm_configs  # noqa: E402
from mmincubate.benchmark import plan  # noqa: E402
from mmincubate.benchmark.plot import plot_cost_accuracy  # noqa: E402
from mmincubate.benchmark.results import (PHASE_TAGS, aggregate,  # noqa
                                          benchmark_rows, load_summary,
                                          markdown)
from mmincubate.utils.cfg_options import LiteralDictAction  # noqa: E402
from mmincubate.utils.checkpoint import (dump_json_atomic,  # noqa: E402
                                         write_atomic)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Incubation against E2E training at equal cost',
        epilog='DIR holds one benchmark: new --seeds join its plan and the '
        'results list every finished seed; any other change is refused (a '
        'new --work-dir starts a new benchmark). A relative arm config is '
        'looked for in CONFIG\'s directory, the project root, the current '
        'directory.')
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
                        help='the seeds to run (default: the benchmark\'s); '
                        'new seeds join a DIR\'s plan, results list all '
                        'finished ones')
    parser.add_argument('--dry-run', action='store_true',
                        help='check the configs and DIR\'s plan, show what '
                        'would run; train and write nothing')
    parser.add_argument(
        '--cfg-options', nargs='+', action=LiteralDictAction,
        help='overrides applied to both arms\' configs (after the '
        'benchmark\'s own), e.g. optim_wrapper.optimizer.lr=2e-3')
    return parser.parse_args(argv)


class Benchmark:

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.spec = plan.load_benchmark(args.config)
        if args.seeds:
            self.spec['seeds'] = list(dict.fromkeys(args.seeds))
        self.spec['cfg_options'].update(args.cfg_options or {})
        # every config found, or nothing is written
        self.configs = arm_configs.resolve(self.spec, args.config)
        name = osp.splitext(osp.basename(args.config))[0]
        self.work_dir = osp.abspath(args.work_dir
                                    or osp.join('work_dirs', name))
        self.world_size = 1 if args.launcher == 'none' else args.gpus
        self.plan_path = osp.join(self.work_dir, 'plan.json')
        old = None
        if osp.isfile(self.plan_path):
            with open(self.plan_path) as f:
                old = json.load(f)
        self.plan = plan.merged_plan(old, self.spec, self.world_size,
                                  self.work_dir)

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
    def e2e_length(self, incubation: dict, seed: int) -> dict:
        """Set once per work_dir, from the first incubation run in it."""
        if 'e2e_length' in self.plan:
            return self.plan['e2e_length']
        match = self.spec['match']
        total = incubation['cost']['total']
        budget = total['flops'] if match == 'flops' else total['seconds']
        cfg = plan.arm_config(self.spec, 'e2e', seed, self.configs['e2e'])
        probe = plan.probe_train_step(cfg, timed_steps=0 if match == 'flops'
                                   else 8)
        per_image = probe['flops_per_image'] if match == 'flops' else \
            probe['seconds_per_image'] / self.world_size
        length = plan.e2e_length(cfg, budget, per_image,
                              probe['images_per_epoch'], self.world_size)
        self.plan.update(budget=dict(match=match, value=budget,
                                     incubation_total=total, seed=seed),
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

    def downstream(self, arm: str, seed: int, checkpoint: str) -> None:
        for task in self.spec['downstream']:
            cfg = Config.fromfile(self.configs[task['name']])
            cfg.merge_from_dict(dict(task['cfg_options']))
            cfg.merge_from_dict({
                task['checkpoint_key']: checkpoint,
                'randomness.seed': seed,
                'default_hooks.cost': dict(
                    type='mmincubate.CostAccountingHook'),
            })
            self.train(cfg, osp.join(plan.run_dir(self.work_dir, arm, seed),
                                     task['name']))

    # ------------------------------------------------------------------
    def dry_run(self) -> dict:
        for key, path in self.configs.items():
            print(f'[benchmark] {key} config: {path}')
        _, _, unfinished = benchmark_rows(self.work_dir, self.plan)
        seeds = self.plan['benchmark']['seeds']
        print(f'[benchmark] {self.work_dir}: plan seeds {seeds} (finished: '
              f'{[s for s in seeds if s not in unfinished]}); this call '
              f'runs seeds {self.spec["seeds"]}; dry run: nothing trained '
              'or written')
        return dict(configs=self.configs, plan=self.plan)

    def run(self) -> dict:
        os.makedirs(self.work_dir, exist_ok=True)
        self._save_plan()  # the seeds planned in this work_dir
        for seed in self.spec['seeds']:
            inc_dir = plan.run_dir(self.work_dir, 'incubation', seed)
            incubation = self.train(plan.arm_config(
                self.spec, 'incubation', seed, self.configs['incubation']),
                inc_dir)
            length = self.e2e_length(incubation, seed)
            cfg = plan.arm_config(self.spec, 'e2e', seed, self.configs['e2e'])
            for change in plan.with_length(cfg, length):
                print(f'[benchmark] e2e: {change}')
            e2e_dir = plan.run_dir(self.work_dir, 'e2e', seed)
            self.train(cfg, e2e_dir)
            finals = dict(incubation=osp.join(inc_dir, 'final.pth'),
                          e2e=self.export_final(e2e_dir))
            for arm in ('incubation', 'e2e'):
                self.downstream(arm, seed, finals[arm])
        # every finished seed of the plan, this call's and earlier ones
        rows, runs, unfinished = benchmark_rows(self.work_dir, self.plan)
        if unfinished:
            print(f'[benchmark] seeds {unfinished} of the plan are not '
                  'finished and not reported; run them with --seeds')
        return self.write_results(rows, runs)

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
            benchmark=self.plan['benchmark'], plan=self.plan, rows=rows,
            aggregate=stats,
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


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    try:
        benchmark = Benchmark(args)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'error: {error}')
    return benchmark.dry_run() if args.dry_run else benchmark.run()


if __name__ == '__main__':
    main()
