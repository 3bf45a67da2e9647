"""Every shell command in the code blocks of README.md and the pages under
docs/, as printed.

Commands run in order in a sandbox (tests/readme_sandbox.py: the checkout's
tools/ and .venv/, a copy of configs/) so relative paths such as work_dirs/
and data/ stay there. Commands on the CPU-sized configs (digits, CIFAR-10,
the 16x16 digits fine-tuning) really run; in the sandbox those configs train
on a few images per epoch and every phase (or E2E schedule, or benchmark
arm) for at most ``SANDBOX_EPOCHS`` epochs, a benchmark for at most
``SANDBOX_SEEDS`` seeds, with names, phases and exports unchanged, and the
step-cost benchmark times ``SANDBOX_STEPS`` steps a mode: this test checks
that the commands work together, the learning and the measurements are
checked elsewhere. The Python tools run in this process as their command
lines (their ``main(argv)`` in the sandbox, globs expanded and ``for`` loops
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
import subprocess
import sys
import time

import pytest

from tests.helpers import (CIFAR_TAR, ROOT, assert_same_weights, load_tool,
                           run_tool, session_root, weights)
from tests.readme_commands import (DOC_FILES, PARTS, config_comment_commands,
                                   doc_commands, part_of, plan,
                                   readme_commands, unroll)
from tests.readme_sandbox import make_sandbox, sandbox_argv, shrunk_configs

CIFAR10_TAR = CIFAR_TAR
STANDIN = osp.join(ROOT, 'tests', 'test_tools', 'slurm_standin')
# the README's placeholder for a CIFAR-10 source
PLACEHOLDER_ARGS = {'SRC': CIFAR10_TAR}
# tools whose command line runs in this process (main(argv) or __main__)
IN_PROCESS = re.compile(
    r'tools/(train|test|assemble|run_benchmark|model_converters/\w+|'
    r'dataset_converters/\w+|analysis_tools/(plot_cost_accuracy|'
    r'benchmark_incubation|benchmark_run))\.py$')


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
    tool = words[1][len('tools/'):]
    result = run_tool(tool, *sandbox_argv(tool, argv), cwd=sandbox)
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


def test_readme_parts_are_known():
    """Every part of ``PARTS`` exists, and together the parts hold every
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


@pytest.fixture(scope='session')
def sandbox_configs(tmp_path_factory) -> str:
    """The sandboxes' configs/, shrunk once for the session's workers."""
    return shrunk_configs(session_root(tmp_path_factory))


def run_part(part: str, tmp_path, capsys, configs: str) -> None:
    """The commands of one part of the README, in README order."""
    sandbox = make_sandbox(str(tmp_path), configs)
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


class ReadmePart:
    """One class per part: pytest-xdist's loadscope runs the parts side by
    side (each marked slow with its rough duration, which orders them)."""
    part = ''

    def test_every_command_runs(self, tmp_path, capsys, sandbox_configs):
        run_part(self.part, tmp_path, capsys, sandbox_configs)


@pytest.mark.slow(seconds=160)
class TestReadmeUsage(ReadmePart):
    part = 'usage'


@pytest.mark.slow(seconds=25)
class TestReadmeCifar10(ReadmePart):
    part = 'cifar10'


@pytest.mark.slow(seconds=300)
class TestReadmeResults(ReadmePart):
    part = 'results'


@pytest.mark.slow(seconds=100)
class TestReadmeLrSweep(ReadmePart):
    part = 'lr_sweep'


@pytest.mark.slow(seconds=35)
class TestReadmePerformance(ReadmePart):
    part = 'performance'


def test_every_part_has_its_test():
    tested = [value.part for name, value in globals().items()
              if name.startswith('TestReadme')]
    assert sorted(tested) == sorted({'usage', *PARTS.values()})


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
