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

__all__ = ['LiteralDictAction', 'parse_literal', 'refuse_calls']


class _DictCallsToLiterals(ast.NodeTransformer):
    """``dict(k=v, ...)`` -> ``{'k': v, ...}``, so ``ast.literal_eval``
    (which allows no calls) can check and build the rest."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if (isinstance(node.func, ast.Name) and node.func.id == 'dict'
                and not node.args
                and all(k.arg is not None for k in node.keywords)):
            return ast.Dict(keys=[ast.Constant(k.arg) for k in node.keywords],
                            values=[k.value for k in node.keywords])
        return node


def parse_literal(text: str) -> Any:
    """A ``--cfg-options`` value holding ``dict(...)`` as a Python literal."""
    try:
        tree = _DictCallsToLiterals().visit(
            ast.parse(text.strip(), mode='eval'))
        return ast.literal_eval(tree.body)
    except SyntaxError as error:
        raise ValueError(
            f'--cfg-options value {text!r} is not a valid literal '
            f'({error.msg}); e.g. \'train_cfg.phases=[dict(phase="meta",'
            'max_epochs=1)]\'.') from None
    except ValueError as error:
        raise ValueError(
            f'--cfg-options value {text!r}: only literals (numbers, strings, '
            'True/False/None, lists, tuples, {...}) and dict(key=value, ...) '
            f'are allowed ({error}); quote strings, e.g. dict(phase="meta").'
        ) from None


def refuse_calls(key: str, value: str) -> None:
    """Raise ``ValueError`` naming ``key`` when ``value`` reads as Python
    code with a call other than ``dict(...)`` (never evaluated, it would be
    kept as a string and fail later, far from the command line)."""
    try:
        tree = ast.parse(value.strip(), mode='eval')
    except SyntaxError:
        return  # a plain string, e.g. a path with spaces
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Name) and node.func.id == 'dict'):
            raise ValueError(
                f'--cfg-options {key}={value!r}: the value is a call '
                f'({ast.unparse(node.func)}(...)), and calls are never '
                'evaluated; give a literal: a number, a quoted string, '
                'True/False/None, a list or tuple, or dict(key=value, ...).')


class LiteralDictAction(DictAction):
    """``DictAction`` that parses values containing ``dict(`` as Python
    literals (see the module docstring); a value with any other call is an
    error naming its key (:func:`refuse_calls`)."""

    def __call__(self, parser, namespace, values, option_string=None):
        options = dict(getattr(namespace, self.dest, None) or {})
        for item in values or []:
            if '=' not in item:
                parser.error(f'{option_string} {item!r}: expected key=value.')
            key, value = item.split('=', maxsplit=1)
            try:
                refuse_calls(key, value)
            except ValueError as error:
                parser.error(str(error))
            if 'dict(' in value.replace(' ', ''):
                try:
                    options[key] = parse_literal(value)
                except ValueError as error:
                    parser.error(str(error))
            else:
                options[key] = self._parse_iterable(value)
        setattr(namespace, self.dest, options)
