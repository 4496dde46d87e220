"""A read-only walk over a libcst tree that calls a visitor's hooks and counts lines as it goes.

libcst's ``module.visit(visitor)`` rebuilds every node it passes (a constructor call and
validation per node) even for a visitor that changes nothing, and line numbers need
``MetadataWrapper(...).resolve(PositionProvider)``, a second, position-tracking code
generation of the whole module. The two were about two thirds of the Python analyser's time.

This walk calls the same ``visit_<Node>`` / ``leave_<Node>`` hooks in the same order (the
order of each node's fields is read from libcst's own ``_visit_and_replace_children``, so it
follows the installed libcst; five classes visit a whitespace field out of source order and
are walked in source order instead) without building anything, and notes each node's first
line on the way: in a libcst tree the only text that can hold a line break is in a few leaf
nodes (``Newline``, whitespace with a backslash continuation, string literals), so adding up
their line breaks in source order gives the line the next token is on. A node's line is the
one :class:`libcst.metadata.PositionProvider` reports as its start: after its leading blank
lines, decorators and opening parentheses (an operator: after the space before it). A visitor
that uses attribute hooks (``visit_Call_func``) is not supported: ``supported()`` says so and
the caller uses libcst's own walk.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

# Fields printed before the position PositionProvider gives as a node's start.
_PREFIX_FIELDS = ("leading_lines", "decorators", "lines_after_decorators", "lpar")
# Leaves whose own text is printed (between their opening and closing parentheses, if any).
_TEXT_LEAVES = frozenset({"SimpleWhitespace", "SimpleString", "FormattedStringText",
                          "TemplatedStringText"})
_LINE_BREAK = re.compile(r"\r\n?|\n")
# Classes whose libcst visit order puts a whitespace field after a node that it precedes in
# the source (``as (\n  name)``): walked in source order, or the lines after would be off.
_SOURCE_ORDER = {
    "AsName": ("whitespace_before_as", "whitespace_after_as", "name"),
    "Del": ("whitespace_after_del", "target", "semicolon"),
    "ParamSlash": ("whitespace_after", "comma"),
    "ParamSpec": ("whitespace_after_star", "name"),
    "TypeVarTuple": ("whitespace_after_star", "name"),
}


@dataclass(frozen=True)
class _Shape:
    """How to walk one node class: its child fields in source order, how many of them come
    before the node's start, and whether the node's own text holds line breaks."""

    fields: tuple[str, ...]
    prefix: int
    text: bool
    newline: bool
    prefix_fields: tuple[str, ...] = ()


_SHAPES: dict[type, _Shape] = {}
# Concrete node classes, for a type test cheaper than isinstance on libcst's ABCs.
_NODE_CLASSES: set[type] = set()


def _fields_in_visit_order(cls: type) -> tuple[str, ...]:
    """The field names ``cls._visit_and_replace_children`` visits, in the order it visits
    them (every libcst node class calls ``visit_required(self, "name", ...)`` and friends)."""
    source = textwrap.dedent(inspect.getsource(cls._visit_and_replace_children))
    calls = [node for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id.startswith("visit_") and len(node.args) >= 2
             and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)]
    calls.sort(key=lambda call: (call.lineno, call.col_offset))
    seen: dict[str, None] = {}
    for call in calls:
        seen.setdefault(call.args[1].value, None)
    return tuple(seen)


def _shape(cls: type) -> _Shape:
    shape = _SHAPES.get(cls)
    if shape is None:
        fields = _fields_in_visit_order(cls)
        source_order = _SOURCE_ORDER.get(cls.__name__)
        if source_order is not None and sorted(source_order) == sorted(fields):
            fields = source_order
        prefix = 0
        while prefix < len(fields) and fields[prefix] in _PREFIX_FIELDS:
            prefix += 1
        if cls.__module__.endswith("_nodes.op") and fields[:1] == ("whitespace_before",):
            prefix = 1  # an operator starts at its token, after the space before it
        shape = _SHAPES[cls] = _Shape(fields, prefix, cls.__name__ in _TEXT_LEAVES,
                                      cls is cst.Newline, fields[:prefix])
        _NODE_CLASSES.add(cls)
    return shape


def _breaks(text: str) -> int:
    return len(_LINE_BREAK.findall(text)) if ("\n" in text or "\r" in text) else 0


def _children(node: cst.CSTNode, fields: tuple[str, ...]):
    for name in fields:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def line_breaks(node: cst.CSTNode) -> int:
    """Line breaks in the code of ``node`` (what its code generation would print)."""
    shape = _shape(type(node))
    if shape.newline:
        return 1
    count = _breaks(node.value) if shape.text else 0
    for child in _children(node, shape.fields):
        count += line_breaks(child)
    return count


_SUPPORTED: dict[type | None, bool] = {}
# Tests and the differential check turn the fast walk off to compare it with libcst's.
ENABLED = True


def _learn_all() -> bool:
    """Read every libcst node class's field order once; False if the installed libcst has
    no readable source or a shape this walk does not know (then libcst's own walk is used)."""
    try:
        for name in dir(cst):
            cls = getattr(cst, name)
            if isinstance(cls, type) and issubclass(cls, cst.CSTNode) and \
                    not inspect.isabstract(cls):
                _shape(cls)
    except (OSError, TypeError, SyntaxError):
        _SHAPES.clear()
        return False
    return True


def _start(node: cst.CSTNode, shape: _Shape, line: int) -> int:
    """The line ``node`` starts on (as PositionProvider counts it), given the line the code
    before it ends on: past its prefix fields; an indented block starts where its first
    statement does."""
    for child in _children(node, shape.fields[:shape.prefix]):
        line += line_breaks(child)
    if type(node) is cst.IndentedBlock:
        line += line_breaks(node.header)
        if node.body:
            first = node.body[0]
            line = _start(first, _shape(type(first)), line)
    return line


def supported(visitor: cst.CSTVisitor) -> bool:
    """Whether this walk can stand in for ``module.visit(visitor)``: libcst's sources are
    readable, and the visitor uses only ``visit_<Node>``/``leave_<Node>`` hooks (attribute
    hooks, ``visit_<Node>_<field>``, need libcst's own walk)."""
    if not ENABLED:
        return False
    cls = type(visitor)
    known = _SUPPORTED.get(cls)
    if known is None:
        known = _SUPPORTED.setdefault(None, _learn_all())
        for name in _own_hooks(cls):
            if not isinstance(getattr(cst, name.split("_", 1)[1], None), type):
                known = False
        _SUPPORTED[cls] = known
    return known


_OWN_HOOKS: dict[type, frozenset[str]] = {}


def _own_hooks(cls: type) -> frozenset[str]:
    """Hook names the visitor class defines itself (libcst's base class declares a no-op
    for every node and every field)."""
    own = _OWN_HOOKS.get(cls)
    if own is None:
        own = _OWN_HOOKS[cls] = frozenset(
            name for name in dir(cls) if name.startswith(("visit_", "leave_")) and
            getattr(cls, name) is not getattr(cst.CSTVisitor, name, None))
    return own


# A visitor without hooks: numbering a subtree ahead of the walk calls nothing.
_QUIET = cst.CSTVisitor()


class Walk:
    """Walks ``module`` once, calling ``visitor``'s hooks; ``line_of(node)`` answers for
    any node of the tree, during the walk (including children not yet reached) or after."""

    def __init__(self, module: cst.Module, visitor: cst.CSTVisitor) -> None:
        self.module = module
        self.visitor = visitor
        self.line = 1
        self.starts: dict[int, int] = {}
        self.stack: list[cst.CSTNode] = []
        self._hooks: dict[type, tuple[Callable | None, Callable | None]] = {}
        self._located: set[int] = set()

    def run(self) -> None:
        self._walk(self.module)

    # ----- the walk ---------------------------------------------------------------------
    def _hooks_of(self, cls: type) -> tuple[Callable | None, Callable | None]:
        hooks = self._hooks.get(cls)
        if hooks is None:
            own = _own_hooks(type(self.visitor))
            name = cls.__name__
            hooks = self._hooks[cls] = tuple(
                getattr(self.visitor, kind + name) if kind + name in own else None
                for kind in ("visit_", "leave_"))
        return hooks

    def _walk(self, node: cst.CSTNode) -> None:
        cls = type(node)
        shape = _SHAPES.get(cls) or _shape(cls)
        if shape.newline:
            self.starts[id(node)] = self.line
            self.line += 1
            return
        start = self.line
        if cls is cst.IndentedBlock:
            start = _start(node, shape, start)
        else:
            for name in shape.prefix_fields:
                if getattr(node, name):  # parentheses, blank lines or decorators to skip
                    start = _start(node, shape, start)
                    break
        self.starts[id(node)] = start
        visit, leave = self._hooks.get(cls) or self._hooks_of(cls)
        if visit is None and leave is None and not shape.fields:
            if shape.text:  # a leaf nobody listens to (whitespace, a plain literal)
                self.line += _breaks(node.value)
            return
        self.stack.append(node)
        if visit is None or visit(node) is not False:
            if shape.text:
                self._walk_fields(node, shape.prefix_fields)
                self.line += _breaks(node.value)
                self._walk_fields(node, shape.fields[shape.prefix:])
            else:
                self._walk_fields(node, shape.fields)
        else:
            self.line += line_breaks(node)
        self.stack.pop()
        if leave is not None:
            leave(node)

    def _walk_fields(self, node: cst.CSTNode, fields: tuple[str, ...]) -> None:
        walk = self._walk
        for name in fields:
            value = getattr(node, name)
            kind = type(value)
            if kind in _NODE_CLASSES:
                walk(value)
            elif kind is tuple or kind is list:
                for item in value:
                    if type(item) in _NODE_CLASSES or isinstance(item, cst.CSTNode):
                        walk(item)
            elif value is not None and kind is not cst.MaybeSentinel and \
                    isinstance(value, cst.CSTNode):
                walk(value)

    # ----- lines --------------------------------------------------------------------------
    def line_of(self, node: cst.CSTNode) -> int | None:
        """The node's first line, or None if it is not part of the tree."""
        found = self.starts.get(id(node))
        if found is not None:
            return found
        # Not reached yet: a child of a node being visited. Number the subtrees on the
        # stack, innermost first, without calling hooks (each subtree only once).
        for holder in reversed([self.module, *self.stack]):
            if id(holder) in self._located:
                continue
            self._located.add(id(holder))
            # The same walk without hooks, from the line before the holder, into this table.
            quiet = Walk(self.module, _QUIET)
            quiet.starts = self.starts
            quiet.line = self.starts.get(id(holder), 1) - _start(holder, _shape(type(holder)), 0)
            quiet._walk(holder)
            found = self.starts.get(id(node))
            if found is not None:
                return found
        return None
