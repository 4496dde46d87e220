"""The libcst pass: scopes, import aliases, constants and taint labels, then call handlers.

One ``Walker`` visits one module once. It keeps, per scope, what each name means (an import
alias, a folded constant, the labels of the data assigned to it, the decode chain that built
it) so that call handlers in :mod:`.calls` can ask "what is this callee" and "what flows into
this argument" without a second pass. Context (install/import/runtime) is not decided here:
hits record their scope and :mod:`.reach` maps scopes to contexts afterwards.
"""

from __future__ import annotations

import builtins
import re
import unicodedata

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from . import names, traverse
from .fold import FoldEnv, fold, string_value
from .hits import MAIN_SCOPE, MODULE_SCOPE, Hit, ModuleFacts, Payload
from .indicators import labels_in

BUILTIN_NAMES = frozenset(dir(builtins)) | {"execfile", "unicode", "raw_input", "reload"}
_MODULE_ALIASES = {"__builtin__": "builtins", "__builtins__": "builtins"}
IMPORTERS = frozenset({"builtins.__import__", "importlib.import_module", "importlib.__import__"})
SECRET_ENV_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "CREDENTIAL",
                    "PRIVATE_KEY", "ACCESS_KEY", "AUTH")
MAX_DESCRIBE_DEPTH = 40


class Walker(cst.CSTVisitor):
    """Run with :func:`visit` (or ``module.visit(walker)`` after setting ``walker.module``,
    for line numbers)."""

    def __init__(self, lines: list[str], line_offset: int = 0) -> None:
        super().__init__()
        self.lines = lines
        self.line_offset = line_offset
        self.module: cst.Module | None = None
        self._positions = None  # node -> CodeRange, resolved on the first line() call
        self.walk = None  # a traverse.Walk when the fast walk runs this visitor
        self.facts = ModuleFacts()
        self.scopes: list[str] = [MODULE_SCOPE]
        self.aliases: dict[str, dict[str, str]] = {MODULE_SCOPE: {}}
        self.constants: dict[str, dict] = {MODULE_SCOPE: {}}
        self.taint: dict[str, dict[str, frozenset]] = {MODULE_SCOPE: {}}
        self.chains: dict[str, dict[str, tuple]] = {MODULE_SCOPE: {}}
        self.star_modules: set[str] = set()
        self.classes: list[str] = []
        self.pending_bodies: dict[int, str] = {}
        self.docstrings: set[int] = set()
        self.tries: list[list] = []  # [node, in_body, saw_network]
        self.fold_env = FoldEnv(self.qualname, self.constant)
        self.hit_keys: set = set()
        self.consumed: set[int] = set()  # nodes already followed as exec arguments
        # Events the flow pass (calls.finish) combines.
        self.sources: list[tuple[str, int, str, str]] = []  # (kind, line, scope, detail)
        self.sinks: list[tuple[int, str, str]] = []
        self.downloads: list[tuple[int, str, str]] = []
        self.spawns: list[tuple[int, str, str]] = []
        self.writes: list[tuple[int, str, str]] = []
        self.chmods: list[tuple[int, str, str]] = []
        self.module_labels: set[str] = set()
        self.network_module = False

    # ----- bookkeeping -------------------------------------------------------------------
    @property
    def scope(self) -> str:
        return self.scopes[-1]

    def line(self, node: cst.CSTNode) -> int:
        if self.walk is not None:  # the fast walk numbers lines as it goes
            found = self.walk.line_of(node)
            return (found if found is not None else 1) + self.line_offset
        # libcst's own walk: positions cost a full position-tracking code generation of the
        # module, so they are computed on the first question, not for every tree.
        if self._positions is None:
            if self.module is None:
                return self.line_offset + 1
            self._positions = MetadataWrapper(self.module, unsafe_skip_copy=True) \
                .resolve(PositionProvider)
        position = self._positions.get(node)
        return (position.start.line if position else 1) + self.line_offset

    def snippet(self, line: int) -> str:
        index = line - 1
        return self.lines[index].strip()[:240] if 0 <= index < len(self.lines) else ""

    def hit(self, rule: str, node_or_line, evidence: str | None = None, strong: bool = False,
            scope: str | None = None, weak: bool = False) -> None:
        line = node_or_line if isinstance(node_or_line, int) else self.line(node_or_line)
        scope = scope or self.scope
        key = (rule, line, scope, strong)
        if key in self.hit_keys:
            return
        self.hit_keys.add(key)
        self.facts.hits.append(Hit(rule, line, scope, evidence or self.snippet(line),
                                   strong=strong, weak=weak))

    def payload(self, data, chain: tuple[str, ...], line: int) -> None:
        if isinstance(data, (bytes, str)) and data:
            self.facts.payloads.append(Payload(data, chain, line, self.scope))

    def _lookup(self, table: dict, name: str):
        name = ident(name)
        for scope in reversed(self.scopes):
            mapping = table.get(scope)
            if mapping and name in mapping:
                return mapping[name]
        return None

    def _store(self, table: dict, name: str, value) -> None:
        table.setdefault(self.scope, {})[ident(name)] = value

    def constant(self, name: str):
        return self._lookup(self.constants, name)

    # ----- name resolution ---------------------------------------------------------------
    def qualname(self, node: cst.BaseExpression, depth: int = 0) -> str | None:
        if depth > 25:
            return None
        if isinstance(node, cst.Name):
            value = ident(node.value)
            alias = self._lookup(self.aliases, value)
            if alias:
                return alias
            if value in _MODULE_ALIASES:
                return _MODULE_ALIASES[value]
            if value in BUILTIN_NAMES:
                return f"builtins.{value}"
            for module in self.star_modules:
                if f"{module}.{value}" in _KNOWN:
                    return f"{module}.{value}"
            return None
        if isinstance(node, cst.Attribute):
            base = self.qualname(node.value, depth + 1)
            return f"{base}.{ident(node.attr.value)}" if base else None
        if isinstance(node, cst.Call):
            func = self.qualname(node.func, depth + 1)
            args = [a for a in node.args if not a.keyword]
            if func in ("builtins.eval", "builtins.exec") and args:
                named = self._evaluated_name(args[0].value)
                if named:
                    return named
            if func in IMPORTERS and args:
                module = fold(args[0].value, self.fold_env)
                if not isinstance(module, str):
                    return None
                self.facts.imports.add(module)
                return _module_alias(module)
            if func == "builtins.getattr" and len(args) >= 2:
                base = self.qualname(args[0].value, depth + 1)
                attr = fold(args[1].value, self.fold_env)
                return f"{base}.{attr}" if base and isinstance(attr, str) else None
            if func in ("builtins.globals", "builtins.vars", "builtins.locals") and not args:
                return "builtins"
            return None
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            base = self.qualname(node.value, depth + 1)
            index = node.slice[0].slice
            if base in ("builtins", "builtins.__dict__", "sys.modules") and \
                    isinstance(index, cst.Index):
                key = fold(index.value, self.fold_env)
                if isinstance(key, str):
                    return key if base == "sys.modules" else f"builtins.{key}"
        return None

    def _evaluated_name(self, node: cst.BaseExpression) -> str | None:
        """``eval('eval')``, ``eval(compile("__import__('base64')", ...))``: obfuscators fetch
        builtins and modules by evaluating their names."""
        text = fold(node, self.fold_env)
        if text is None and isinstance(node, cst.Call) and node.args and \
                self.qualname(node.func) == "builtins.compile":
            text = fold(node.args[0].value, self.fold_env)
        if not isinstance(text, str) or len(text) > 200:
            return None
        text = text.strip()
        imported = _IMPORT_EXPR.fullmatch(text)
        if imported:
            self.facts.imports.add(imported.group(1))
            return _module_alias(imported.group(1))
        head = text.split(".")[0]
        if _DOTTED.fullmatch(text) and head in BUILTIN_NAMES:
            return f"builtins.{text}"
        return None

    def hidden_route(self, func: cst.BaseExpression) -> bool:
        """Whether a callee was reached through __import__/getattr/__builtins__ lookups."""
        node = func
        for _ in range(10):
            if isinstance(node, cst.Attribute):
                node = node.value
            elif isinstance(node, cst.Subscript):
                return True
            elif isinstance(node, cst.Call):
                inner = self.qualname(node.func)
                return inner in IMPORTERS or inner == "builtins.getattr"
            elif isinstance(node, cst.Name):
                return node.value in ("__builtins__", "__builtin__")
            else:
                return False
        return False

    # ----- what flows where --------------------------------------------------------------
    def describe(self, node: cst.CSTNode | None, depth: int = 0) -> frozenset[str]:
        """Labels of the data an expression carries (secret, fingerprint, network, decode...)."""
        if node is None or depth > MAX_DESCRIBE_DEPTH:
            return frozenset()
        out: set[str] = set()
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            value = fold(node, self.fold_env) if not isinstance(node, cst.FormattedString) else \
                "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if isinstance(value, str):
                out |= labels_in(value)
                if value.rstrip().endswith(".pth"):
                    out.add("pthfile")
            if isinstance(node, cst.FormattedString):
                for part in node.parts:
                    if isinstance(part, cst.FormattedStringExpression):
                        out |= self.describe(part.expression, depth + 1)
            elif isinstance(node, cst.ConcatenatedString):
                out |= self.describe(node.left, depth + 1) | self.describe(node.right, depth + 1)
            return frozenset(out)
        if isinstance(node, cst.Name):
            tainted = self._lookup(self.taint, node.value)
            if tainted:
                out |= tainted
            if self.qualname(node) == "os.environ":
                out.add("secret:environment")
            return frozenset(out)
        if isinstance(node, cst.Attribute):
            name = self.qualname(node)
            if name == "os.environ":
                return frozenset({"secret:environment"})
            if name in ("sys.argv", "sys.stdin"):
                return frozenset({"input"})
            return self.describe(node.value, depth + 1)
        if isinstance(node, cst.Call):
            return frozenset(self._describe_call(node, depth))
        if isinstance(node, cst.Subscript):
            base = self.qualname(node.value)
            if base == "os.environ":
                return frozenset(self._env_single(node))
            out |= self.describe(node.value, depth + 1)
            for element in node.slice:
                if isinstance(element.slice, cst.Index):
                    out |= self.describe(element.slice.value, depth + 1)
            return frozenset(out)
        for child in _children(node):
            out |= self.describe(child, depth + 1)
        return frozenset(out)

    def _env_single(self, node: cst.CSTNode) -> set[str]:
        key = None
        if isinstance(node, cst.Subscript) and isinstance(node.slice[0].slice, cst.Index):
            key = fold(node.slice[0].slice.value, self.fold_env)
        elif isinstance(node, cst.Call) and node.args:
            key = fold(node.args[0].value, self.fold_env)
        if isinstance(key, str) and any(w in key.upper() for w in SECRET_ENV_WORDS):
            return {"secret:env-token"}
        return {"env-single"}

    def _describe_call(self, node: cst.Call, depth: int) -> set[str]:
        name = self.qualname(node.func)
        out: set[str] = set()
        args_labels: set[str] = set()
        for arg in node.args:
            args_labels |= self.describe(arg.value, depth + 1)
        if name and name.startswith(("sys.stdin", "sys.argv")):
            out.add("input")
        if name in names.DECODE:
            out.add(f"decode:{names.DECODE[name]}")
        elif name in names.DESERIALIZE:
            out.add(f"deserialize:{names.DESERIALIZE[name]}")
        elif name in names.DOWNLOAD or name in names.HTTP:
            out.add("network:download")
        elif name in names.FINGERPRINT:
            out.add(f"fingerprint:{names.FINGERPRINT[name]}")
        elif name in names.SECRET_CALLS:
            out.add(f"secret:{names.SECRET_CALLS[name]}")
        elif name in ("os.getenv", "os.environ.get", "os.getenvb"):
            out |= self._env_single(node)
        elif name == "builtins.open" or name in ("io.open", "codecs.open"):
            out.add("file-read")
        elif name in ("builtins.input", "builtins.raw_input"):
            out.add("input")
        elif name in ("builtins.dict", "json.dumps", "builtins.str", "builtins.repr"):
            pass
        if isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method in names.MEDIA_METHODS:
                out.add("media")
            if method == "decrypt":
                out.add("decode:decrypt")
            if name is None:
                out |= self.describe(node.func.value, depth + 1)
        return out | args_labels

    def chain_of(self, node: cst.CSTNode | None, depth: int = 0) -> tuple[str, ...]:
        """Decoders applied to build a value, innermost first (``base64``, ``zlib``...)."""
        if node is None or depth > MAX_DESCRIBE_DEPTH:
            return ()
        if isinstance(node, cst.Name):
            return self._lookup(self.chains, node.value) or ()
        if isinstance(node, cst.Subscript):
            inner = self.chain_of(node.value, depth + 1)
            index = node.slice[0].slice if len(node.slice) == 1 else None
            if isinstance(index, cst.Slice) and index.step is not None and \
                    isinstance(index.step, cst.UnaryOperation):
                return inner + ("reverse",)
            return inner
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitXor):
            return ("xor",)
        if not isinstance(node, cst.Call):
            if isinstance(node, (cst.BinaryOperation, cst.Await, cst.Arg)):
                for child in _children(node):
                    chain = self.chain_of(child, depth + 1)
                    if chain:
                        return chain
            return ()
        name = self.qualname(node.func)
        first = node.args[0].value if node.args else None
        if name in names.DECODE:
            return self.chain_of(first, depth + 1) + (names.DECODE[name],)
        if name in names.DESERIALIZE:
            return self.chain_of(first, depth + 1) + (names.DESERIALIZE[name],)
        if name == "codecs.decode" and len(node.args) >= 2:
            codec = fold(node.args[1].value, self.fold_env)
            return self.chain_of(first, depth + 1) + (str(codec),)
        if isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method == "decrypt":
                return self.chain_of(first, depth + 1) + ("decrypt",)
            if method in ("decode", "encode", "replace", "strip", "read", "join"):
                inner = self.chain_of(node.func.value, depth + 1)
                if method == "join" and not inner and first is not None:
                    inner = self.chain_of(first, depth + 1)
                if method == "decode" and first is not None:
                    codec = fold(first, self.fold_env)
                    if isinstance(codec, str) and codec.lower() in ("rot13", "rot_13", "hex",
                                                                    "base64", "zlib"):
                        return inner + (codec.lower(),)
                return inner
        for arg in node.args:
            chain = self.chain_of(arg.value, depth + 1)
            if chain:
                return chain
        return ()

    # ----- scopes ------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        if self.scope not in (MODULE_SCOPE, MAIN_SCOPE):
            key = f"{self.scope}.{name}"
        elif self.classes:
            key = f"{self.classes[-1]}.{name}"
        else:
            key = name
        self.facts.functions.add(key)
        self.pending_bodies[id(node.body)] = key

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        name = node.name.value
        key = f"{self.scope}.{name}" if self.scope not in (MODULE_SCOPE, MAIN_SCOPE) else name
        bases = []
        for arg in node.bases:
            qual = self.qualname(arg.value)
            if qual:
                bases.append(qual)
            elif isinstance(arg.value, (cst.Name, cst.Attribute)):
                bases.append(_dotted(arg.value))
        self.facts.class_bases[key] = tuple(bases)
        self.facts.class_lines[key] = self.line(node)
        self.classes.append(key)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_If(self, node: cst.If) -> None:
        if self.scope == MODULE_SCOPE and not self.classes and _is_main_guard(node.test):
            self.pending_bodies[id(node.body)] = MAIN_SCOPE

    def _enter_block(self, node) -> None:
        key = self.pending_bodies.pop(id(node), None)
        if key is not None:
            self.scopes.append(key)
            self._entered = getattr(self, "_entered", set())
            self._entered.add(id(node))

    def _leave_block(self, node) -> None:
        entered = getattr(self, "_entered", set())
        if id(node) in entered:
            entered.discard(id(node))
            self.scopes.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_block(node)
        self._mark_docstring(node.body)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._leave_block(original_node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_block(node)

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self._leave_block(original_node)

    def visit_Module(self, node: cst.Module) -> None:
        self._mark_docstring(node.body)

    def _mark_docstring(self, body) -> None:
        if body and isinstance(body[0], cst.SimpleStatementLine) and body[0].body and \
                isinstance(body[0].body[0], cst.Expr):
            self.docstrings.add(id(body[0].body[0].value))

    # ----- imports and assignments ----------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _dotted(alias.name)
            self.facts.imports.add(full)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._store(self.aliases, alias.asname.name.value, _module_alias(full))
            else:
                top = full.split(".")[0]
                self._store(self.aliases, top, _module_alias(top))
            if full.split(".")[0] in _NETWORK_MODULES:
                self.network_module = True

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = _dotted(node.module) if node.module is not None else ""
        if node.relative:
            self.facts.relative_imports.add(module)
            return
        self.facts.imports.add(module)
        if module.split(".")[0] in _NETWORK_MODULES:
            self.network_module = True
        module = _module_alias(module)
        if isinstance(node.names, cst.ImportStar):
            self.star_modules.add(module)
            return
        for alias in node.names:
            name = _dotted(alias.name)
            bound = alias.asname.name.value if alias.asname is not None and \
                isinstance(alias.asname.name, cst.Name) else name
            self._store(self.aliases, bound, f"{module}.{name}")
            if name in _NETWORK_NAMES:
                self.network_module = True

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if not isinstance(node.target, cst.Name):
            return
        name = node.target.value
        if isinstance(node.operator, cst.AddAssign):
            left, right = self.constant(name), fold(node.value, self.fold_env)
            if isinstance(left, type(right)) and isinstance(left, (str, bytes)) and \
                    len(left) + len(right) < 8 * 1024 * 1024:
                self._store(self.constants, name, left + right)
        labels = (self._lookup(self.taint, name) or frozenset()) | self.describe(node.value)
        if labels:
            self._store(self.taint, name, labels)
        chain = self.chain_of(node.value)
        if chain and chain != self._lookup(self.chains, name):
            self._store(self.chains, name, chain)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and isinstance(node.asname.name, cst.Name):
            labels = self.describe(node.item)
            if labels:
                self._store(self.taint, node.asname.name.value, labels)

    def visit_For(self, node: cst.For) -> None:
        labels = self.describe(node.iter)
        if not labels:
            return
        for name in _target_names(node.target):
            self._store(self.taint, name, labels)

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)) \
                and len(target.elements) == len(value.elements):
            for t, v in zip(target.elements, value.elements):
                self._assign(t.value, v.value)
            return
        targets = _target_names(target)
        if not targets:
            return
        qual = self.qualname(value) if isinstance(value, (cst.Name, cst.Attribute, cst.Call,
                                                         cst.Subscript)) else None
        folded = fold(value, self.fold_env)
        labels = self.describe(value)
        chain = self.chain_of(value)
        for name in targets:
            if qual and (qual in _KNOWN or qual.split(".")[0] in _MODULE_ROOTS):
                self._store(self.aliases, name, qual)
            if folded is not None:
                self._store(self.constants, name, folded)
                if isinstance(folded, str) and not isinstance(value, cst.SimpleString):
                    self.on_folded_string(value, folded)
            if labels:
                self._store(self.taint, name, labels)
            if chain:
                self._store(self.chains, name, chain)

    def on_folded_string(self, node: cst.CSTNode, value: str) -> None:
        """A string built by folding (chr lists, joins, decoders); subclasses inspect it."""
        self.module_labels |= labels_in(value)

    # ----- try/except ----------------------------------------------------------------------
    def visit_Try(self, node: cst.Try) -> None:
        self.tries.append([node, True, False])

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if self.tries:
            self.tries[-1][1] = False

    def leave_Try(self, original_node: cst.Try) -> None:
        node, _, saw_network = self.tries.pop()
        if saw_network and any(_is_silent(h) for h in node.handlers):
            self.hit("python.evasion.silent-network", node,
                     f"network call inside try with a silent except (line {self.line(node)})")

    def mark_network_in_try(self) -> None:
        for entry in self.tries:
            if entry[1]:
                entry[2] = True

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString)) and \
                self.scope == MODULE_SCOPE and id(node.value) in self.docstrings:
            return


def ident(name: str) -> str:
    """Identifiers as Python sees them: NFKC-normalised (𝗿𝗲𝙦𝘂𝙚𝘀𝘁𝘀 is ``requests``)."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


_IMPORT_EXPR = re.compile(r"__import__\(\s*['\"]([\w.]+)['\"]\s*\)")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def _is_silent(handler: cst.ExceptHandler) -> bool:
    if handler.type is not None and not (isinstance(handler.type, cst.Name) and
                                         handler.type.value in ("Exception", "BaseException")):
        return False
    body = handler.body.body if isinstance(handler.body, cst.IndentedBlock) else \
        handler.body.body
    for stmt in body:
        small = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        for item in small:
            if not isinstance(item, (cst.Pass, cst.Continue)) and not (
                    isinstance(item, cst.Expr) and isinstance(item.value, cst.Ellipsis)):
                return False
    return True


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _is_main_guard(test.left) or _is_main_guard(test.right)
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left, right = test.left, test.comparisons[0].comparator
    names_ = {n.value for n in (left, right) if isinstance(n, cst.Name)}
    strings = {string_value(s) for s in (left, right) if isinstance(s, cst.SimpleString)}
    return names_ == {"__name__"} and strings == {"__main__"}


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        out: list[str] = []
        for element in target.elements:
            out += _target_names(element.value)
        return out
    return []


def _dotted(node) -> str:
    if isinstance(node, cst.Name):
        return ident(node.value)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{ident(node.attr.value)}"
    return ""


def _module_alias(module: str) -> str:
    top, _, rest = module.partition(".")
    top = _MODULE_ALIASES.get(top, top)
    return f"{top}.{rest}" if rest else top


def _children(node: cst.CSTNode):
    if isinstance(node, cst.BinaryOperation):
        return (node.left, node.right)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return tuple(e.value for e in node.elements)
    if isinstance(node, cst.Dict):
        out = []
        for e in node.elements:
            if isinstance(e, cst.DictElement):
                out += [e.key, e.value]
            else:
                out.append(e.value)
        return tuple(out)
    if isinstance(node, cst.Arg):
        return (node.value,)
    if isinstance(node, (cst.Await, cst.UnaryOperation)):
        return (node.expression,)
    if isinstance(node, cst.IfExp):
        return (node.body, node.orelse)
    if isinstance(node, cst.BooleanOperation):
        return (node.left, node.right)
    if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        return (node.elt, node.for_in.iter)
    if isinstance(node, cst.DictComp):
        return (node.key, node.value, node.for_in.iter)
    if isinstance(node, cst.Comparison):
        return (node.left,) + tuple(c.comparator for c in node.comparisons)
    if isinstance(node, cst.StarredElement):
        return (node.value,)
    return ()


_KNOWN = (names.EXEC | set(names.DECODE) | set(names.DESERIALIZE) | names.SPAWN | names.HTTP
          | names.SOCKET | names.DNS | set(names.FINGERPRINT) | set(names.SECRET_CALLS)
          | set(names.SURVEILLANCE) | names.DELETE | names.REGISTRY_WRITE | names.CHMOD
          | names.SLEEP | names.THREAD | names.ATEXIT | names.DUP2
          | {"codecs.decode", "os.environ", "sys.executable", "builtins.open", "os.getenv"})
_MODULE_ROOTS = frozenset(q.split(".")[0] for q in _KNOWN) | {"importlib", "codecs"}
_NETWORK_MODULES = frozenset({"requests", "urllib", "urllib2", "urllib3", "http", "httplib",
                              "httpx", "aiohttp", "socket", "smtplib", "ftplib", "websocket",
                              "websockets", "discord_webhook", "dhooks", "telebot", "pycurl",
                              "telegram", "discord"})
_NETWORK_NAMES = frozenset({"urlopen", "Request", "post", "get", "socket", "create_connection"})

__all__ = ["Walker", "MAIN_SCOPE", "MODULE_SCOPE", "Payload"]


def visit(module: cst.Module, walker: Walker) -> None:
    """Walk ``module`` with ``walker``: the fast read-only walk of :mod:`.traverse` when it
    supports the walker, libcst's own ``module.visit`` otherwise (same hooks, same order,
    same line numbers)."""
    walker.module = module
    if traverse.supported(walker):
        walker.walk = traverse.Walk(module, walker)
        walker.walk.run()
    else:
        module.visit(walker)
