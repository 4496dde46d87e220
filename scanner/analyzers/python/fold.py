"""Constant folding over libcst expressions, including the decoders malware strings through.

``fold(node, env)`` returns the value an expression certainly has when it is built only from
literals, known constants and pure string/bytes operations — concatenation, ``%`` and
``.format``, f-strings, ``''.join``, ``chr`` lists, ``bytes.fromhex``, ``[::-1]``, base64 and
friends, decompression, ``codecs.decode(..., 'rot13')``, substitution ciphers over
``string.ascii_letters`` (``a[b.index(c)] if c in b else c``, ``str.translate``) and calls of the
module's own small helpers (``_ = lambda s: zlib.decompress(b64decode(s[::-1]))``, a ``def``
that only assigns and returns) with constant arguments — or ``None``. Sizes and depth are
bounded so a hostile expression cannot make folding expensive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from . import decoders
from .names import DECODE

MAX_VALUE = decoders.MAX_BLOB
MAX_DEPTH = 60
MAX_ITEMS = 200_000

Value = str | bytes | int | list | tuple | None


# Constants of the standard library that substitution ciphers are built from.
STDLIB_CONSTANTS = {
    "string.ascii_letters": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "string.ascii_lowercase": "abcdefghijklmnopqrstuvwxyz",
    "string.ascii_uppercase": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "string.digits": "0123456789",
    "string.hexdigits": "0123456789abcdefABCDEF",
    "string.octdigits": "01234567",
    "string.punctuation": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "string.whitespace": " \t\n\r\x0b\x0c",
}
STDLIB_CONSTANTS["string.printable"] = (STDLIB_CONSTANTS["string.digits"]
                                        + STDLIB_CONSTANTS["string.ascii_letters"]
                                        + STDLIB_CONSTANTS["string.punctuation"]
                                        + STDLIB_CONSTANTS["string.whitespace"])


@dataclass(frozen=True)
class Inline:
    """A helper simple enough to fold through: ``lambda p: EXPR`` or a ``def`` whose body only
    assigns names and returns. ``steps`` are the assignments in order; ``chain`` is the
    decode chain its result carries (``reverse, base64, zlib``), for the exec handler."""

    params: tuple[str, ...]
    steps: tuple[tuple[str, cst.BaseExpression], ...]
    result: cst.BaseExpression
    chain: tuple[str, ...] = ()


@dataclass(frozen=True)
class FoldEnv:
    """What folding needs from the walker: names of callables and values of variables, and
    (optionally) the module's own foldable helpers by name."""

    qualname: Callable[[cst.BaseExpression], str | None]
    constant: Callable[[str], Value]
    function: Callable[[str], Inline | None] | None = None


def fold(node: cst.BaseExpression, env: FoldEnv, depth: int = 0) -> Value:
    if depth > MAX_DEPTH:
        return None
    try:
        value = _fold(node, env, depth + 1)
    except (RecursionError, MemoryError, OverflowError, ValueError, TypeError, IndexError,
            KeyError, UnicodeError, AttributeError):
        return None
    if isinstance(value, (str, bytes, list, tuple)) and len(value) > MAX_VALUE:
        return None
    return value


def string_value(node: cst.SimpleString) -> str | bytes:
    """``node.evaluated_value`` without its ``ast.literal_eval`` (a ``compile`` per literal,
    most of the cost of a string-heavy module) for literals with nothing to interpret: no
    escapes (or a raw prefix), no carriage returns, no NUL. Anything else, and bytes that are
    not ASCII, goes to libcst, which answers (or raises) as before."""
    value = node.value
    start = 0
    while start < len(value) and value[start] not in "'\"":
        start += 1
    prefix = value[:start].lower()
    quote = value[start:start + 3]
    width = 3 if quote in ('"""', "'''") and len(value) - start >= 6 else 1
    body = value[start + width:len(value) - width]
    if ("\\" in body and "r" not in prefix) or "\r" in body or "\0" in body:
        return node.evaluated_value
    if "b" in prefix:
        if not body.isascii():
            return node.evaluated_value
        return body.encode("ascii")
    return body


def _fold(node, env: FoldEnv, depth: int) -> Value:
    if isinstance(node, cst.SimpleString):
        return string_value(node)
    if isinstance(node, cst.ConcatenatedString):
        left, right = fold(node.left, env, depth), fold(node.right, env, depth)
        return _concat(left, right)
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.FormattedString):
        return _fstring(node, env, depth)
    if isinstance(node, cst.Name):
        value = env.constant(node.value)
        if value is None and node.value not in _SHADOWED:
            return STDLIB_CONSTANTS.get(env.qualname(node) or "")
        return value
    if isinstance(node, cst.Attribute):
        return STDLIB_CONSTANTS.get(env.qualname(node) or "")
    if isinstance(node, cst.IfExp):
        test = _test(node.test, env, depth)
        if test is None:
            return None
        return fold(node.body if test else node.orelse, env, depth)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        if len(node.elements) > MAX_ITEMS:
            return None
        items = [fold(el.value, env, depth) for el in node.elements
                 if not isinstance(el, cst.StarredElement)]
        return None if any(i is None for i in items) else items
    if isinstance(node, cst.BinaryOperation):
        return _binary(node, env, depth)
    if isinstance(node, cst.Subscript):
        return _subscript(node, env, depth)
    if isinstance(node, cst.Call):
        return _call(node, env, depth)
    if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
        return _comprehension(node, env, depth)
    return None


_SHADOWED = frozenset({"True", "False", "None"})


def _test(node: cst.BaseExpression, env: FoldEnv, depth: int) -> bool | None:
    """The truth of ``a in b``, ``a not in b``, ``a == b``, ``a != b`` over folded values."""
    if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
        return None
    left = fold(node.left, env, depth)
    target = node.comparisons[0]
    right = fold(target.comparator, env, depth)
    if left is None or right is None:
        return None
    op = target.operator
    if isinstance(op, (cst.In, cst.NotIn)):
        if not isinstance(right, (str, bytes, list, tuple)) or (
                isinstance(right, (str, bytes)) and type(left) is not type(right)):
            return None
        found = left in right
        return found if isinstance(op, cst.In) else not found
    if isinstance(op, cst.Equal):
        return left == right
    if isinstance(op, cst.NotEqual):
        return left != right
    return None


def _concat(left: Value, right: Value) -> Value:
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, bytes) and isinstance(right, bytes):
        return left + right
    if isinstance(left, list) and isinstance(right, list):
        return left + right
    return None


def _fstring(node: cst.FormattedString, env: FoldEnv, depth: int) -> Value:
    out = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            out.append(part.value)
            continue
        value = fold(part.expression, env, depth)
        if not isinstance(value, (str, int)) or part.format_spec:
            return None
        out.append(str(value))
    return "".join(out)


def _binary(node: cst.BinaryOperation, env: FoldEnv, depth: int) -> Value:
    left = fold(node.left, env, depth)
    if left is None:
        return None
    right = fold(node.right, env, depth)
    if right is None:
        return None
    op = node.operator
    if isinstance(op, cst.Add):
        if isinstance(left, int) and isinstance(right, int):
            return left + right
        return _concat(left, right)
    if isinstance(op, cst.Modulo) and isinstance(left, str):
        args = tuple(right) if isinstance(right, list) else right
        return left % args
    if isinstance(op, cst.Multiply):
        if isinstance(left, (str, bytes, list)) and isinstance(right, int):
            return left * right if len(left) * max(right, 0) <= MAX_VALUE else None
        if isinstance(left, int) and isinstance(right, int):
            return left * right if abs(left) < 2**64 and abs(right) < 2**64 else None
    if isinstance(left, int) and isinstance(right, int):
        if isinstance(op, cst.BitXor):
            return left ^ right
        if isinstance(op, cst.BitOr):
            return left | right
        if isinstance(op, cst.Subtract):
            return left - right
        if isinstance(op, cst.LeftShift) and 0 <= right < 64:
            return left << right
        if isinstance(op, cst.RightShift) and 0 <= right < 64:
            return left >> right
    return None


def _subscript(node: cst.Subscript, env: FoldEnv, depth: int) -> Value:
    if len(node.slice) != 1:
        return None
    value = fold(node.value, env, depth)
    if not isinstance(value, (str, bytes, list)):
        return None
    index = node.slice[0].slice
    if isinstance(index, cst.Slice):
        bounds = []
        for part in (index.lower, index.upper, index.step):
            if part is None:
                bounds.append(None)
                continue
            number = fold(part, env, depth) if not isinstance(part, cst.UnaryOperation) else \
                _negative(part, env, depth)
            if not isinstance(number, int):
                return None
            bounds.append(number)
        return value[slice(*bounds)]
    if isinstance(index, cst.Index):
        number = fold(index.value, env, depth)
        if isinstance(number, int):
            return value[number]
    return None


def _negative(node: cst.UnaryOperation, env: FoldEnv, depth: int) -> Value:
    value = fold(node.expression, env, depth)
    if isinstance(node.operator, cst.Minus) and isinstance(value, int):
        return -value
    return None


def _args(node: cst.Call, env: FoldEnv, depth: int) -> list[Value]:
    return [fold(arg.value, env, depth) for arg in node.args if not arg.keyword and not arg.star]


def _inline(helper: Inline, node: cst.Call, env: FoldEnv, depth: int) -> Value:
    """The value of a call to one of the module's own small helpers, by substitution."""
    if any(arg.keyword or arg.star for arg in node.args) or \
            len(node.args) != len(helper.params):
        return None
    bound: dict[str, Value] = {}
    for param, arg in zip(helper.params, node.args):
        value = fold(arg.value, env, depth)
        if value is None:
            return None
        bound[param] = value
    local = FoldEnv(env.qualname, _bind_all(env.constant, bound), env.function)
    for target, expression in helper.steps:
        value = fold(expression, local, depth)
        if value is None:
            return None
        bound[target] = value
    return fold(helper.result, local, depth)


def _call(node: cst.Call, env: FoldEnv, depth: int) -> Value:
    func = node.func
    if isinstance(func, cst.Name) and env.function is not None:
        helper = env.function(func.value)
        if helper is not None:
            return _inline(helper, node, env, depth)
    name = env.qualname(func)
    if name in DECODE:
        args = _args(node, env, depth)
        return decoders.decode(DECODE[name], args[0]) if args else None
    if name == "codecs.decode":
        args = _args(node, env, depth)
        if len(args) >= 2 and isinstance(args[1], str):
            codec = decoders.CODEC_NAMES.get(args[1].lower().replace("-", "_"))
            return decoders.decode(codec, args[0]) if codec else None
        return None
    if name == "builtins.chr":
        args = _args(node, env, depth)
        return chr(args[0]) if args and isinstance(args[0], int) else None
    if name in ("builtins.bytes", "builtins.bytearray"):
        args = _args(node, env, depth)
        if args and isinstance(args[0], list) and all(isinstance(i, int) for i in args[0]):
            return bytes(args[0])
        if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
            return args[0].encode(args[1], "ignore")
        return None
    if name in ("builtins.str",):
        args = _args(node, env, depth)
        if len(args) >= 2 and isinstance(args[0], bytes):
            return args[0].decode("utf-8", "replace")
        return args[0] if args and isinstance(args[0], str) else None
    if name in ("builtins.list", "builtins.reversed") and node.args:
        value = fold(node.args[0].value, env, depth)
        if isinstance(value, (str, list, bytes)):
            return list(reversed(value)) if name == "builtins.reversed" else list(value)
        return None
    if name == "builtins.zip" and node.args:
        return _zip(node, env, depth)
    if name == "builtins.map" and len(node.args) == 2:
        mapper = env.qualname(node.args[0].value)
        items = fold(node.args[1].value, env, depth)
        if mapper == "builtins.chr" and isinstance(items, list):
            return [chr(i) for i in items if isinstance(i, int)]
        return None
    if isinstance(func, cst.Attribute):
        return _method(node, func, env, depth)
    return None


def _zip(node: cst.Call, env: FoldEnv, depth: int) -> Value:
    """``zip(data, itertools.cycle(key))``: the repeating-key XOR loop's pairs."""
    columns: list = []
    cyclic: list[bool] = []
    for arg in node.args:
        if arg.keyword or arg.star:
            return None
        value = arg.value
        repeat = isinstance(value, cst.Call) and env.qualname(value.func) == "itertools.cycle"
        if repeat:
            value = value.args[0].value if value.args else None
        folded = fold(value, env, depth) if value is not None else None
        if not isinstance(folded, (str, bytes, list)) or not folded:
            return None
        columns.append(list(folded))
        cyclic.append(repeat)
    finite = [len(c) for c, r in zip(columns, cyclic) if not r]
    if not finite or min(finite) > MAX_ITEMS:
        return None
    return [tuple(c[i % len(c)] for c in columns) for i in range(min(finite))]


def _method(node: cst.Call, func: cst.Attribute, env: FoldEnv, depth: int) -> Value:
    method = func.attr.value
    if method not in _METHODS:
        return None
    target = fold(func.value, env, depth)
    if target is None and not (method == "maketrans" and
                               env.qualname(func.value) == "builtins.str"):
        return None
    args = _args(node, env, depth)
    if any(a is None for a in args):
        return None
    if method == "join" and isinstance(target, (str, bytes)) and args:
        items = args[0]
        if isinstance(items, (str, bytes)):
            items = list(items) if isinstance(items, str) else [bytes([b]) for b in items]
        if isinstance(items, list) and all(isinstance(i, type(target)) for i in items):
            return target.join(items)
        return None
    if method == "decode" and isinstance(target, bytes):
        codec = (args[0] if args else "utf-8")
        codec_name = decoders.CODEC_NAMES.get(str(codec).lower().replace("-", "_"))
        if codec_name:
            return decoders.decode(codec_name, target)
        return target.decode(str(codec) if isinstance(codec, str) else "utf-8", "replace")
    if method == "encode" and isinstance(target, str):
        return target.encode("utf-8", "ignore")
    if method == "format" and isinstance(target, str):
        return target.format(*[a for a in args if isinstance(a, (str, int))])
    if method == "replace" and len(args) >= 2 and isinstance(target, (str, bytes)):
        return target.replace(args[0], args[1])
    if method in ("strip", "lower", "upper") and isinstance(target, (str, bytes)):
        return getattr(target, method)()
    if method == "fromhex":
        return decoders.decode("hex", args[0]) if args else None
    if method in ("index", "find") and len(args) == 1 and (
            isinstance(target, list) or type(args[0]) is type(target)):
        if method == "find":
            return target.find(args[0]) if not isinstance(target, list) else None
        return target.index(args[0])
    if method == "maketrans" and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
        return list(str.maketrans(args[0], args[1]).items())
    if method == "translate" and isinstance(target, str) and args and isinstance(args[0], list):
        return target.translate(dict(args[0]))
    return None


_METHODS = frozenset({"join", "decode", "encode", "format", "replace", "strip", "lower", "upper",
                      "fromhex", "index", "find", "maketrans", "translate"})


def _comprehension(node, env: FoldEnv, depth: int) -> Value:
    """``[chr(c) for c in [..]]`` and ``(chr(c ^ k) for c in data)`` style builders."""
    if node.for_in.inner_for_in is not None:
        return None
    target = node.for_in.target
    if isinstance(target, cst.Tuple) and all(isinstance(e.value, cst.Name)
                                             for e in target.elements):
        targets = [e.value.value for e in target.elements]
    elif isinstance(target, cst.Name):
        targets = [target.value]
    else:
        return None
    items = fold(node.for_in.iter, env, depth)
    if isinstance(items, (str, bytes)):
        items = list(items)
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        return None
    out = []
    for item in items:
        if len(targets) == 1:
            bound = {targets[0]: item}
        elif isinstance(item, (tuple, list)) and len(item) == len(targets):
            bound = dict(zip(targets, item))
        else:
            return None
        scoped = FoldEnv(env.qualname, _bind_all(env.constant, bound), env.function)
        keep = [_test(cond.test, scoped, depth) for cond in node.for_in.ifs]
        if None in keep:
            return None
        if not all(keep):
            continue
        value = fold(node.elt, scoped, depth)
        if value is None:
            return None
        out.append(value)
    return out


def _bind_all(constant: Callable[[str], Value], bound: dict[str, Value]):
    def lookup(other: str) -> Value:
        return bound[other] if other in bound else constant(other)

    return lookup
