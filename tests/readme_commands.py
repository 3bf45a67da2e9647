"""The shell commands of the documentation (README.md and the pages under
docs/) and of the configs' header comments, and how the README test
(tests/test_readme_commands.py) runs each: :func:`plan` names a rule for
every command, and a command without one is an error."""
import glob
import os.path as osp
import re
import shlex
from dataclasses import dataclass
from typing import List

from tests.helpers import ROOT
from tests.readme_sandbox import CPU_CONFIG

README = osp.join(ROOT, 'README.md')
#: the pages with commands, in the order their commands run in the 'usage'
#: part (a later page may read what an earlier one made)
DOC_FILES = ('README.md', 'docs/method.md', 'docs/usage.md',
             'docs/benchmark.md', 'docs/results.md',
             'docs/results/digits_all_methods/README.md', 'docs/transfer.md',
             'docs/performance.md', 'docs/checkpoints.md',
             'docs/installation.md')


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
