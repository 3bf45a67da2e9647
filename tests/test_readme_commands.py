"""Every shell command in the code blocks of README.md and the pages under
docs/, as printed.

Commands run in order in a sandbox (the checkout's tools/ and .venv/, a copy
of configs/) so relative paths such as work_dirs/ and data/ stay there.
Commands on the CPU-sized configs (digits, CIFAR-10, the 16x16 digits
fine-tuning) really run; in the sandbox those configs train on a few images
per epoch and every phase (or E2E schedule, or benchmark arm) for at most
``SANDBOX_EPOCHS`` epochs, a benchmark for at most ``SANDBOX_SEEDS`` seeds,
with names, phases and exports unchanged: this
test checks that the commands work together, the learning is checked
elsewhere. The Python tools run in this process as their command lines
(their ``main(argv)`` in the sandbox, globs expanded and ``for`` loops
unrolled as bash would); shell scripts, and the processes that tools start
themselves, run as processes. Commands on the ImageNet, COCO and ADE20K
configs, or on 8 GPUs, are dry runs: the same tool with ``--dry-run`` (the
config loads, the overrides parse, the phases resolve) or, for Slurm, a
stand-in sbatch that records without running. A command that matches no
rule fails the test, so one added to the README later is covered or
noticed. Some commands' outputs are also checked (``CHECKS``): the
separate jobs of tools/dist_incubate.sh against one job.
"""
import glob
import os
import os.path as osp
import random
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import List

import pytest
import torch
from mmengine.config import Config

from tests.helpers import (CIFAR_TAR, ROOT, assert_same_weights, digits_vit,
                           load_tool, release_checkpoint, run_tool, weights)

README = osp.join(ROOT, 'README.md')
#: the pages with commands, in the order their commands run in the 'usage'
#: part (a later page may read what an earlier one made)
DOC_FILES = ('README.md', 'docs/method.md', 'docs/usage.md',
             'docs/benchmark.md', 'docs/results.md',
             'docs/results/digits_all_methods/README.md', 'docs/transfer.md',
             'docs/performance.md', 'docs/checkpoints.md',
             'docs/installation.md')
CIFAR10_TAR = CIFAR_TAR
STANDIN = osp.join(ROOT, 'tests', 'test_tools', 'slurm_standin')
# configs that train on CPU in the sandbox (on a few images per epoch)
CPU_CONFIG = re.compile(r'configs/.*(digits|cifar10(?!0)).*\.py$')
# file names the README uses for a user's own downloads, made here
PLACEHOLDER_FILES = ('official.pth', 'timm_vit.pth', 'meta_vit_b.pth')
# the README's placeholder for a CIFAR-10 source
PLACEHOLDER_ARGS = {'SRC': CIFAR10_TAR}
# the longest phase, E2E schedule or benchmark arm phase in the sandbox
SANDBOX_EPOCHS = 2
# the most seeds of a benchmark in the sandbox (two: the seeds' loop runs)
SANDBOX_SEEDS = 2
# tools whose command line runs in this process (main(argv) or __main__)
IN_PROCESS = re.compile(
    r'tools/(train|test|assemble|run_benchmark|model_converters/\w+|'
    r'dataset_converters/\w+|analysis_tools/(plot_cost_accuracy|'
    r'benchmark_incubation|benchmark_run))\.py$')


@dataclass
class Command:
    line: int
    text: str
    section: str = ''
    file: str = 'README.md'

    @property
    def where(self) -> str:
        return f'{self.file}:{self.line}'


def readme_commands(markdown: str) -> List[Command]:
    """Commands of the ```bash blocks: continuation lines joined, comment
    lines dropped, a ``for ... done`` loop kept as one command; each with
    the heading of its README section."""
    commands, block, start, section, fenced = [], None, 0, '', False
    for number, line in enumerate(markdown.splitlines(), 1):
        if not fenced and re.match(r'#+ ', line):
            section = line.lstrip('#').strip()
        if line.startswith('```'):
            fenced = not fenced
            block = [] if block is None and line.strip() == '```bash' \
                else None
            continue
        if block is None or not line.strip() or \
                line.lstrip().startswith('#'):
            continue
        if commands and commands[-1].text.endswith('\\'):
            commands[-1].text = commands[-1].text[:-1].rstrip() + ' ' + \
                line.strip()
        elif commands and _open_loop(commands[-1].text):
            commands[-1].text += '\n' + line.strip()
        else:
            start = number
            commands.append(Command(start, line.strip(), section))
    return commands


def doc_commands() -> List[Command]:
    """The commands of every page of ``DOC_FILES``, page by page."""
    commands = []
    for name in DOC_FILES:
        with open(osp.join(ROOT, name)) as f:
            for command in readme_commands(f.read()):
                command.file = name
                commands.append(command)
    return commands


def _open_loop(text: str) -> bool:
    return text.startswith('for ') and not re.search(r'(^|\n|;\s*)done\b',
                                                     text)


def _strip_comment(text: str) -> str:
    """The command without a trailing ``# comment`` (outside quotes)."""
    quote = None
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in '\'"':
            quote = char
        elif char == '#' and (index == 0 or text[index - 1].isspace()):
            return text[:index].rstrip()
    return text


def plan(text: str) -> List[tuple]:
    """[(how, shell command)] with how in run / dry / slurm / skip: reason.
    The command is kept as printed (globs, variables, quotes); a dry run
    only appends ``--dry-run`` or swaps a launcher for the tool it starts."""
    text = _strip_comment(text)
    if ' && ' in text:
        return [step for part in text.split(' && ') for step in plan(part)]
    if text.startswith('for '):
        configs = set(re.findall(r'configs/\S+\.py', text))
        assert configs and all(CPU_CONFIG.search(c) for c in configs), (
            f'a loop needs CPU configs to run: {text}')
        return [('run', text)]
    words = shlex.split(text)
    config = next((w for w in words if w.startswith('configs/')), '')
    on_cpu = bool(CPU_CONFIG.search(config))
    if words[:2] == ['mkdir', '-p'] and all(
            not osp.isabs(w) and '..' not in w for w in words[2:]):
        return [('run', text)]  # a data folder, made in the sandbox
    if words[:2] == ['bash', 'tools/install.sh']:
        return [('skip: the installation; CI runs it before the tests', '')]
    if 'pytest' in words[:3]:
        return [('skip: the test suite itself', '')]
    if words[0] in ('python', '.venv/bin/python'):
        script = words[1]
        if script in ('tools/train.py', 'tools/test.py'):
            return [('run', text) if on_cpu else ('dry', f'{text} --dry-run')]
        if script.startswith(('tools/model_converters/', 'tools/assemble',
                              'tools/dataset_converters/',
                              'tools/analysis_tools/plot_cost_accuracy')):
            return [('run', text)]
        if script == 'tools/analysis_tools/benchmark_incubation.py':
            # the step-cost benchmark in the README's bash blocks: CPU-sized
            assert on_cpu, f'a step-cost benchmark on a CPU config: {text}'
            return [('run', text)]
        if script == 'tools/analysis_tools/benchmark_run.py':
            # whole runs timed: CPU configs, shrunk in the sandbox
            configs = [w for w in words if w.startswith('configs/')]
            assert configs and all(CPU_CONFIG.search(c) for c in configs), (
                f'whole runs of CPU configs only: {text}')
            return [('run', text)]
        if script == 'tools/run_benchmark.py':
            # CPU benchmarks run, their arms shrunk in the sandbox; GPU
            # ones check their arms and plan
            return [('run', text) if on_cpu else ('dry', f'{text} --dry-run')]
    if words[0] == 'bash' and words[1] in ('tools/dist_train.sh',
                                           'tools/dist_test.sh'):
        train = words[1] == 'tools/dist_train.sh'
        nprocs = int(words[3 if train else 4])
        if on_cpu and nprocs <= 2:
            return [('run', text)]
        # the tool the launcher starts, without the launcher's N
        pattern = (r'bash tools/dist_train\.sh (\S+) \d+' if train else
                   r'bash tools/dist_test\.sh (\S+) (\S+) \d+')
        tool = 'python tools/train.py \\1' if train else \
            'python tools/test.py \\1 \\2'
        return [('dry', re.sub(pattern, tool, text) + ' --dry-run')]
    if words[:2] == ['bash', 'tools/dist_incubate.sh'] and on_cpu:
        return [('run', text)]
    if words[:2] == ['bash', 'tools/slurm_incubate.sh']:
        return [('slurm', text)]
    raise AssertionError(f'README command without a rule in '
                         f'{__name__}.plan(): {text!r}')


def _shorten(stage: dict) -> None:
    for key in ('max_epochs', 'max_iters'):
        if key in stage:
            stage[key] = min(stage[key], SANDBOX_EPOCHS)


def _shrink(path: str, out: str) -> None:
    """A CPU config with a few images per epoch and short phases (or a
    benchmark config with short arms), all else unchanged."""
    cfg = Config.fromfile(path)
    for name, count in (('train_dataloader', 64), ('val_dataloader', 128),
                        ('test_dataloader', 128)):
        if cfg.get(name) is not None:
            cfg[name].dataset.indices = count
    train_cfg = cfg.get('train_cfg') or {}
    for stage in train_cfg.get('phases') or [train_cfg]:
        _shorten(stage)
    benchmark = cfg.get('benchmark') or {}
    if benchmark.get('seeds'):
        benchmark['seeds'] = benchmark['seeds'][:SANDBOX_SEEDS]
    arms = [*(benchmark.get('arms') or {}).values(), *benchmark.values()]
    for arm in arms:
        if isinstance(arm, dict) and 'cfg_options' in arm:
            options = arm['cfg_options']
            for key in [k for k in options if k.endswith('max_epochs')]:
                options[key] = min(options[key], SANDBOX_EPOCHS)
            for stage in options.get('train_cfg.phases') or []:
                _shorten(stage)
    cfg.dump(out)


def _placeholder_files(sandbox: str) -> None:
    """Tiny stand-ins for a user's downloads: an official release file of
    the digits target, a timm ViT, an official release meta model."""
    pytest.importorskip('timm')
    torch.save(release_checkpoint(digits_vit(8, 0).state_dict(), [2] * 4),
               osp.join(sandbox, 'official.pth'))
    torch.save(digits_vit(8, 1).state_dict(),
               osp.join(sandbox, 'timm_vit.pth'))
    torch.save(release_checkpoint(digits_vit(4, 2).state_dict(), [1] * 4),
               osp.join(sandbox, 'meta_vit_b.pth'))


def make_sandbox(root: str) -> str:
    """The checkout's tools/, .venv/ and package linked, configs/ copied
    (the CPU configs shrunk), the placeholder downloads made."""
    for name in ('tools', '.venv', 'mmincubate'):
        if osp.exists(osp.join(ROOT, name)):
            os.symlink(osp.join(ROOT, name), osp.join(root, name))
    shutil.copytree(osp.join(ROOT, 'configs'), osp.join(root, 'configs'))
    for dirpath, _, files in os.walk(osp.join(ROOT, 'configs')):
        for name in files:
            path = osp.join(dirpath, name)
            rel = osp.relpath(path, ROOT)
            if CPU_CONFIG.search(rel) and '_base_' not in rel:
                _shrink(path, osp.join(root, rel))
    _placeholder_files(root)
    return root


def _substitute(command: str) -> str:
    for placeholder, value in PLACEHOLDER_ARGS.items():
        command = re.sub(rf'(?<![\w/.-]){placeholder}(?![\w/.-])', value,
                         command)
    return command


def test_readme_has_commands():
    commands = doc_commands()
    assert len(commands) > 20
    assert commands[0].where == 'README.md:11'
    assert commands[0].text.startswith('bash tools/install.sh && ')
    # a joined continuation and a loop
    assert any('\n' in c.text and c.text.startswith('for ')
               for c in commands)


def unroll(text: str) -> List[str]:
    """The commands of a ``for VAR in WORDS; do BODY; done`` loop, with
    ``$VAR`` and ``${VAR}`` replaced, in order; any other text as is."""
    match = re.fullmatch(r'for (\w+) in ([^;\n]+);\s*do\s+(.+?)\s*;?\s*'
                         r'done', text, re.S)
    if match is None:
        return [text]
    name, values, body = match.groups()
    return [re.sub(rf'\$({name}\b|\{{{name}\}})', value, line)
            for value in values.split() for line in body.splitlines()
            if line.strip()]


def in_process(shell: str, sandbox: str) -> bool:
    """Run ``python tools/<tool> ...`` in this process, as bash would: the
    globs expanded in the sandbox (sorted; a glob that matches nothing
    stays as written); False for any other command."""
    words = shlex.split(shell)
    if words[0] not in ('python', '.venv/bin/python') or \
            IN_PROCESS.fullmatch(words[1]) is None or \
            any(c in shell for c in '|;$<>`'):
        return False
    argv = []
    for word in words[2:]:
        found = sorted(glob.glob(word, root_dir=sandbox)) \
            if '*' in word else []
        argv.extend(found or [word])
    result = run_tool(words[1][len('tools/'):], *argv, cwd=sandbox)
    assert result.returncode == 0, result.tail(3000)
    if '--dry-run' in argv:
        assert 'dry run of' in result.output, result.tail(2000)
    return True


def as_process(shell: str, sandbox: str, env: dict) -> None:
    proc = subprocess.run(
        ['bash', '-c', f'set -euo pipefail\n{shell}'], cwd=sandbox,
        capture_output=True, text=True, timeout=1200,
        env=dict(env, PORT=str(random.randint(20000, 40000))))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    if '--dry-run' in shell:
        assert 'dry run of' in proc.stdout, proc.stdout[-2000:]


def separate_jobs_equal_one_job(sandbox: str, shell: str) -> None:
    """What tools/dist_incubate.sh made (the meta job, the 4 module jobs
    side by side, assembly, the fine-tuning job) is bitwise what one job of
    the same schedule makes with the modules one after another (each
    separate job trains one module, with its own optimizer and random
    stream)."""
    config = shlex.split(shell)[2]
    name = osp.splitext(osp.basename(config))[0]
    split = osp.join(sandbox, 'work_dirs', f'{name}_split')
    one_job = osp.join(sandbox, 'work_dirs', f'{name}_one_job')
    result = run_tool('train.py', config, '--work-dir', one_job,
                      '--cfg-options', 'train_cfg.phases.1.mode=sequential',
                      cwd=sandbox)
    assert result.returncode == 0, result.tail(3000)
    pairs = [('meta.pth', 'meta/meta.pth'), ('assembled.pth', 'assembled.pth'),
             ('final.pth', 'finetune/final.pth')] + [
                 (f'module_{i}.pth', f'module_{i}/module_{i}.pth')
                 for i in range(4)]
    for ours, theirs in pairs:
        assert_same_weights(weights(osp.join(one_job, ours)),
                            weights(osp.join(split, theirs)))


#: checks of what a README command made, by the command's beginning
CHECKS = {'bash tools/dist_incubate.sh ': separate_jobs_equal_one_job}

#: pages and sections whose commands need nothing an earlier one makes:
#: each group runs on its own (in its own sandbox, beside the others under
#: pytest-xdist); every other command runs in page order in 'usage'. Within
#: a part, a command that a later page prints again as an earlier page
#: printed it runs once.
PARTS = {
    'CIFAR-10': 'cifar10',
    'Results at a glance': 'results',
    'docs/results.md': 'results',
    'docs/results/digits_all_methods/README.md': 'lr_sweep',
    'docs/performance.md': 'performance',
}


def part_of(command: Command) -> str:
    return PARTS.get(command.file, PARTS.get(command.section, 'usage'))


def test_readme_parts_are_known():
    """Every part named above exists, and together the parts hold every
    documented command once; every page with a command is in DOC_FILES."""
    commands = doc_commands()
    named = {c.section for c in commands} | {c.file for c in commands}
    assert set(PARTS) <= named, set(PARTS) - named
    pages = glob.glob(osp.join(ROOT, 'docs', '**', '*.md'), recursive=True)
    with_commands = {osp.relpath(p, ROOT) for p in pages
                     if readme_commands(open(p).read())}
    assert with_commands <= set(DOC_FILES), with_commands - set(DOC_FILES)
    parts = [part_of(c) for c in commands]
    assert set(parts) == {'usage', *PARTS.values()}


def run_part(part: str, tmp_path, capsys) -> None:
    """The commands of one part of the README, in README order."""
    sandbox = make_sandbox(str(tmp_path))
    env = dict(os.environ, PATH=f'{STANDIN}:{os.environ["PATH"]}',
               STANDIN_SLURM_LOG=osp.join(sandbox, 'slurm_calls.jsonl'),
               STANDIN_SLURM_RUN='0', OMP_NUM_THREADS='1')
    env.pop('VIRTUAL_ENV', None)
    # `python` in the README: this interpreter (a wrapper, not a symlink,
    # so a virtual environment stays one)
    bin_dir = osp.join(sandbox, 'bin')
    os.makedirs(bin_dir, exist_ok=True)
    with open(osp.join(bin_dir, 'python'), 'w') as f:
        f.write(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    os.chmod(osp.join(bin_dir, 'python'), 0o755)
    env['PATH'] = f'{bin_dir}:{env["PATH"]}'
    done, seconds, ran = [], [], {}
    commands = [c for c in doc_commands() if part_of(c) == part]
    for command in commands:
        for how, shell in plan(command.text):
            if how.startswith('skip'):
                done.append((command.where, how))
                continue
            first = ran.setdefault(shell, command)
            if first.file != command.file:
                # a page repeating another page's command: it ran already
                # in this sandbox
                done.append((command.where, f'skip: ran at {first.where}'))
                continue
            if 'SRC' in shell and not osp.isfile(CIFAR10_TAR):
                pytest.skip(f'{command.where} needs the CIFAR-10 '
                            f'sample ({CIFAR10_TAR} is absent)')
            shell = _substitute(shell)
            start = time.monotonic()
            for step in unroll(shell):
                try:
                    if not in_process(step, sandbox):
                        as_process(step, sandbox, env)
                except Exception as error:  # name the page and line
                    raise AssertionError(
                        f'{command.where} ({how}): {step}\n'
                        f'{type(error).__name__}: {error}') from error
            seconds.append((time.monotonic() - start, command.where))
            done.append((command.where, how))
            for prefix, check in CHECKS.items():
                if how == 'run' and shell.startswith(prefix):
                    check(sandbox, shell)
    assert done and len({line for line, _ in done}) == len(commands)
    if part == 'usage':
        kinds = {how for _, how in done}
        assert {'run', 'dry', 'slurm'} <= kinds, kinds
    with capsys.disabled():  # where the time went (pytest -s shows it)
        print(f'\nREADME part {part!r}, slowest first: ' + ', '.join(
            f'{line} {sec:.0f} s' for sec, line in sorted(seconds)[::-1]
            [:8]))


@pytest.mark.slow
class ReadmePart:
    """One class per part: pytest-xdist's loadscope runs the parts side by
    side."""
    part = ''

    def test_every_command_runs(self, tmp_path, capsys):
        run_part(self.part, tmp_path, capsys)


class TestReadmeUsage(ReadmePart):
    part = 'usage'


class TestReadmeCifar10(ReadmePart):
    part = 'cifar10'


class TestReadmeResults(ReadmePart):
    part = 'results'


class TestReadmeLrSweep(ReadmePart):
    part = 'lr_sweep'


class TestReadmePerformance(ReadmePart):
    part = 'performance'


def test_every_part_has_its_test():
    tested = [value.part for name, value in globals().items()
              if name.startswith('TestReadme')]
    assert sorted(tested) == sorted({'usage', *PARTS.values()})


def config_comment_commands() -> List[Command]:
    """The usage lines in the configs' header comments."""
    found = []
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                                 recursive=True)):
        lines = open(path).read().splitlines()
        for number, line in enumerate(lines, 1):
            match = re.match(r'#\s+((python|bash) tools/.*)$', line)
            if match is None:
                continue
            text = match.group(1)
            follow = number
            while text.endswith('\\') and follow < len(lines):
                text = text[:-1].rstrip() + ' ' + lines[follow].lstrip(
                    '#').strip()
                follow += 1
            found.append(Command(number, f'{osp.relpath(path, ROOT)}: {text}'))
    return found


def test_config_comment_commands_parse():
    """Every usage line in a config header: the tool's own argument parsing,
    config loading and schedule resolution (in-process ``--dry-run``); the
    data tools among them run for real in the README test."""
    train_tool, test_tool = (load_tool(f'{name}.py')
                             for name in ('train', 'test'))
    readme = ' '.join(c.text for c in doc_commands())
    commands = config_comment_commands()
    assert len(commands) >= 15
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for command in commands:
            where, text = command.text.split(': ', 1)
            steps = plan(text)
            assert len(steps) == 1, command
            how, shell = steps[0]
            words = shlex.split(shell)
            if words[1] in ('tools/train.py', 'tools/test.py'):
                argv = words[2:] + ([] if '--dry-run' in words else
                                    ['--dry-run'])
                tool = train_tool if words[1] == 'tools/train.py' else \
                    test_tool
                tool.main(argv)
            else:
                assert text in readme, (
                    f'{where}:{command.line}: {text!r} is neither a '
                    'train/test command nor run by the README test')
    finally:
        os.chdir(cwd)
