"""One benchmark in one work_dir: its arms trained at equal cost, resumed,
reported (``tools/run_benchmark.py`` is its command line)."""
import json
import os
import os.path as osp
import platform
import sys
import time
from typing import List, Optional

from mmengine.config import Config

from mmincubate.utils.checkpoint import dump_json_atomic, write_atomic
from mmincubate.utils.machine import cpu_model
from . import arm_configs, arm_length, plan, results_mirror
from .plot import plot_cost_accuracy
from .results import (PHASE_TAGS, aggregate, benchmark_rows, load_summary,
                      markdown, paired, paired_markdown)
from .train_process import run_training, train_args


class Benchmark:
    """Trains every arm of a benchmark config for each seed, the budget
    arm first; every other arm's length is set so that it spends the
    budget arm's measured cost (``plan.json`` keeps the budget and every
    arm's lengths, set once per work_dir). Every run is a normal
    ``tools/train.py`` run in ``<work_dir>/<arm>_seed<s>`` with its complete
    config; a finished run is skipped, an unfinished one resumed.

    Example:
        >>> Benchmark('configs/benchmarks/digits_all_methods.py').run()
    """

    def __init__(self, config: str, work_dir: Optional[str] = None,
                 seeds: Optional[List[int]] = None,
                 cfg_options: Optional[dict] = None, launcher: str = 'none',
                 gpus: int = 1, port: int = 29500,
                 results_dir: Optional[str] = None) -> None:
        self.config = config
        self.spec = plan.load_benchmark(config)
        if seeds:
            self.spec['seeds'] = list(dict.fromkeys(seeds))
        self.spec['overrides'].update(cfg_options or {})
        # every config found, or nothing is written
        self.configs = arm_configs.resolve(self.spec, config)
        name = osp.splitext(osp.basename(config))[0]
        self.work_dir = osp.abspath(work_dir or osp.join('work_dirs', name))
        self.launcher, self.gpus, self.port = launcher, gpus, port
        self.world_size = 1 if launcher == 'none' else gpus
        self.plan_path = osp.join(self.work_dir, 'plan.json')
        self.results_dir = results_dir and osp.abspath(results_dir)
        if self.results_dir:
            for run in results_mirror.restore(self.results_dir,
                                              self.work_dir):
                print(f'[benchmark] {run}: restored from {results_dir}')
        old = None
        if osp.isfile(self.plan_path):
            with open(self.plan_path) as f:
                old = json.load(f)
        self.plan = plan.merged_plan(old, self.spec, self.world_size,
                                     self.work_dir)
        self._done, self._started = [], time.monotonic()

    def _save_plan(self) -> None:
        dump_json_atomic(self.plan, self.plan_path)
        if self.results_dir:
            results_mirror.keep_benchmark(self.results_dir, self.work_dir)

    def _command(self, config: str, work_dir: str, resume: bool) -> list:
        train = train_args(config, work_dir, resume)
        if self.launcher == 'none':
            return [sys.executable] + train
        if self.launcher == 'pytorch':
            return [sys.executable, '-m', 'torch.distributed.run',
                    f'--nproc_per_node={self.gpus}',
                    f'--master_port={self.port}'] + train + [
                        '--launcher', 'pytorch']
        return ['srun', f'--ntasks={self.gpus}', '--kill-on-bad-exit=1',
                sys.executable, '-u'] + train + ['--launcher', 'slurm']

    def _progress(self, what: str, number: int, total: int) -> None:
        """Which run of how many, and the time left, estimated from the
        runs trained so far in this call."""
        elapsed = time.monotonic() - self._started
        if self._done:
            left = sum(self._done) / len(self._done) * (total - number + 1)
            estimate = f'about {_duration(left)} left'
        else:
            estimate = 'time left: known after the first run'
        print(f'[benchmark] run {number}/{total}: {what}; '
              f'{_duration(elapsed)} so far, {estimate}', flush=True)

    def train(self, cfg: Config, work_dir: str) -> dict:
        """Run (or resume, or skip) one training run; its summary."""
        if osp.isfile(osp.join(work_dir, 'summary.json')):
            summary = load_summary(work_dir)
            if summary.get('finished'):
                print(f'[benchmark] {work_dir}: finished, skipped')
                self._keep(work_dir)
                return summary
        config = osp.join(work_dir, 'config.py')
        resume = osp.isfile(config)
        if not resume:
            os.makedirs(work_dir, exist_ok=True)
            cfg.dump(config)  # complete: no _base_
        print(f'[benchmark] {"resuming" if resume else "training"} '
              f'{work_dir}', flush=True)
        proc, attempt = run_training(self._command(config, work_dir, resume),
                                     work_dir, resume, hosted=True)
        if proc.returncode != 0:
            raise SystemExit(
                f'error: the run in {work_dir} failed (exit status '
                f'{proc.returncode}); its log is in that folder. Fix it and '
                'call run_benchmark.py again to resume.')
        self._done.append(attempt['seconds'])
        self._keep(work_dir)
        return load_summary(work_dir)

    def _keep(self, run_dir: str) -> None:
        if self.results_dir:
            results_mirror.keep_run(self.results_dir, self.work_dir, run_dir)

    # ------------------------------------------------------------------
    def arm_cfg(self, arm: str, seed: int) -> Config:
        """The arm's config for ``seed``, its lengths set from the plan
        (measured and fitted once per work_dir)."""
        cfg = plan.arm_config(self.spec, arm, seed, self.configs[arm])
        if arm == self.spec['budget_arm']:
            return cfg
        lengths = self.plan.setdefault('lengths', {})
        if arm not in lengths:
            match, budget = self.spec['match'], self.plan['budget']['value']
            probe = arm_length.probe_arm(
                cfg, timed_steps=0 if match == 'flops' else 8)
            lengths[arm] = arm_length.fit_to_budget(cfg, budget, probe, match,
                                                    self.world_size)
            self.plan.setdefault('probes', {})[arm] = probe
            self._save_plan()
        for change in arm_length.apply_lengths(cfg, lengths[arm]):
            print(f'[benchmark] {arm}: {change}')
        probe = (self.plan.get('probes') or {}).get(arm)
        if probe is not None:
            share = arm_length.expected_cost(
                cfg, probe, self.spec['match'], self.world_size) / \
                self.plan['budget']['value']
            print(f'[benchmark] {arm}: {share:.3f} of the budget expected')
        return cfg

    def set_budget(self, summary: dict, seed: int) -> None:
        """Set once per work_dir, from the first budget-arm run in it."""
        if 'budget' in self.plan:
            return
        match, arm = self.spec['match'], self.spec['budget_arm']
        self.plan['budget'] = dict(
            match=match, arm=arm, seed=seed,
            value=arm_length.budget_of(summary, match),
            total=summary['cost']['total'])
        self._save_plan()
        total = summary['cost']['total']
        print(f'[benchmark] budget ({arm} arm): {total["flops"] / 1e12:.4f} '
              f'TFLOPs, {total["seconds"]:.1f} s')

    def export_final(self, work_dir: str) -> str:
        """A plain run's last weights as ``final.pth`` (as the phased arms
        export), for downstream transfer and tools/test.py."""
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

    def downstream_cfg(self, task: dict, seed: int,
                       checkpoint: str) -> Config:
        cfg = Config.fromfile(self.configs[task['name']])
        cfg.merge_from_dict(dict(task['cfg_options']))
        cfg.merge_from_dict({
            task['checkpoint_key']: checkpoint,
            'randomness.seed': seed,
            'default_hooks.cost': dict(type='mmincubate.CostAccountingHook'),
        })
        return cfg

    # ------------------------------------------------------------------
    def dry_run(self) -> dict:
        for key, path in self.configs.items():
            print(f'[benchmark] {key} config: {path}')
        _, _, unfinished = benchmark_rows(self.work_dir, self.plan)
        seeds = self.plan['benchmark']['seeds']
        print(f'[benchmark] {self.work_dir}: plan seeds {seeds} (finished: '
              f'{[s for s in seeds if s not in unfinished]}); this call '
              f'runs seeds {self.spec["seeds"]}')
        print(f'[benchmark] dry run of {self.config}: nothing trained or '
              'written')
        return dict(configs=self.configs, plan=self.plan)

    def run(self) -> dict:
        os.makedirs(self.work_dir, exist_ok=True)
        self._save_plan()  # the seeds planned in this work_dir
        budget_arm = self.spec['budget_arm']
        arms = [budget_arm] + [a for a in self.spec['arms']
                               if a != budget_arm]
        tasks = self.spec['downstream']
        total = len(self.spec['seeds']) * len(arms) * (1 + len(tasks))
        number = 0
        for seed in self.spec['seeds']:
            for arm in arms:
                number += 1
                self._progress(f'{arm}, seed {seed}', number, total)
                arm_dir = plan.run_dir(self.work_dir, arm, seed)
                summary = self.train(self.arm_cfg(arm, seed), arm_dir)
                if arm == budget_arm:
                    self.set_budget(summary, seed)
                final = osp.join(arm_dir, 'final.pth')
                if not osp.isfile(final) and osp.isfile(
                        osp.join(arm_dir, 'last_checkpoint')):
                    final = self.export_final(arm_dir)
                if tasks and not osp.isfile(final):
                    raise SystemExit(
                        f'error: {arm_dir} has no weights (restored from '
                        'the kept results, without checkpoints), and the '
                        'downstream tasks need them: train that run again '
                        'in a new work_dir.')
                for task in tasks:
                    number += 1
                    self._progress(f'{task["name"]} from {arm}, seed {seed}',
                                   number, total)
                    self.train(self.downstream_cfg(task, seed, final),
                               osp.join(arm_dir, task['name']))
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
        stats = aggregate(rows, ['tflops', 'seconds', 'wall_seconds'] +
                          columns)
        title = (f'{osp.basename(self.config)}: {self.spec["metric"]}, '
                 f'equal {self.spec["match"]} '
                 f'(budget: the {self.spec["budget_arm"]} arm)')
        table = markdown(rows, stats, columns, title)
        baseline = self.spec['baseline']
        pairs = paired(rows, baseline) if baseline else {}
        if pairs:
            table += '\n' + paired_markdown(pairs, baseline)
        png = plot_cost_accuracy(
            [s for _, _, s in runs], [a for a, _, _ in runs],
            osp.join(self.work_dir, 'cost_accuracy.png'),
            metric=self.spec['metric'],
            x='flops' if self.spec['match'] == 'flops' else 'seconds',
            title=osp.splitext(osp.basename(self.config))[0])
        import torch
        results = dict(
            benchmark=self.plan['benchmark'], plan=self.plan, rows=rows,
            aggregate=stats, paired=pairs,
            machine=dict(platform=platform.platform(),
                         processor=cpu_model(),
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
        if self.results_dir:
            results_mirror.keep_benchmark(self.results_dir, self.work_dir)
            print(f'[benchmark] kept the runs\' and the benchmark\'s small '
                  f'files in {self.results_dir}')
        return results


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f'{minutes} min {seconds:02d} s' if minutes else f'{seconds} s'
