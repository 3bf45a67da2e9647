"""``--cfg-options`` that also take Python literals with ``dict(...)``.

mmengine's ``DictAction`` parses ``key=a,b`` and ``key=[a,(b,c)]`` but
recurses without end on ``key=[dict(phase="meta",max_epochs=1)]``.
:class:`LiteralDictAction` parses such values as Python literals, where
``dict(k=v)`` calls are the only calls allowed (nothing is evaluated), and
hands every other value to ``DictAction`` unchanged.

Example:
    >>> parser.add_argument('--cfg-options', nargs='+',
    ...                     action=LiteralDictAction)
    >>> # python tools/train.py CONFIG --cfg-options \\
    >>> #   'train_cfg.phases=[dict(phase="incubate",max_epochs=1,modules=[2])]'
"""
import ast
from typing import Any

from mmengine.config import DictAction

__all__ = ['LiteralDictAction', 'parse_literal']


def _convert(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [_convert(n, text) for n in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_convert(n, text) for n in node.elts)
    if isinstance(node, ast.Dict):
        return {
            _convert(k, text): _convert(v, text)
            for k, v in zip(node.keys, node.values)
        }
    if isinstance(node, ast.UnaryOp) and isinstance(
            node.op, (ast.USub, ast.UAdd)) and isinstance(
                node.operand, ast.Constant):
        value = _convert(node.operand, text)
        return -value if isinstance(node.op, ast.USub) else value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args
            and all(k.arg is not None for k in node.keywords)):
        return {k.arg: _convert(k.value, text) for k in node.keywords}
    raise ValueError(
        f'--cfg-options value {text!r}: only literals (numbers, strings, '
        'True/False/None, lists, tuples, {...}) and dict(key=value, ...) are '
        f'allowed, not {ast.dump(node)[:60]}; quote strings, e.g. '
        'dict(phase="meta").')


def parse_literal(text: str) -> Any:
    """A ``--cfg-options`` value holding ``dict(...)`` as a Python literal."""
    try:
        tree = ast.parse(text.strip(), mode='eval')
    except SyntaxError as error:
        raise ValueError(
            f'--cfg-options value {text!r} is not a valid literal '
            f'({error.msg}); e.g. \'train_cfg.phases=[dict(phase="meta",'
            'max_epochs=1)]\'.') from None
    return _convert(tree.body, text)


class LiteralDictAction(DictAction):
    """``DictAction`` that parses values containing ``dict(`` as Python
    literals (see the module docstring)."""

    def __call__(self, parser, namespace, values, option_string=None):
        options = dict(getattr(namespace, self.dest, None) or {})
        for item in values or []:
            if '=' not in item:
                parser.error(f'{option_string} {item!r}: expected key=value.')
            key, value = item.split('=', maxsplit=1)
            if 'dict(' in value.replace(' ', ''):
                try:
                    options[key] = parse_literal(value)
                except ValueError as error:
                    parser.error(str(error))
            else:
                options[key] = self._parse_iterable(value)
        setattr(namespace, self.dest, options)
