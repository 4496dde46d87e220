"""Call and string handlers: where capabilities, flows and payloads are recognised."""

from __future__ import annotations

import base64
import binascii
import re
import sys

import libcst as cst

from . import decoders, names
from .fold import FoldEnv, Inline, fold, string_value
from .hits import MAIN_SCOPE, MODULE_SCOPE
from .indicators import INDICATORS, labels_in
from .walker import Walker

_OBFUSCATOR_RUNTIME = re.compile(r"pyarmor|pytransform")
_CALLBACK_RUNNERS = names.THREAD | names.ATEXIT | {"builtins.map", "builtins.filter"}
_EXEC_BITS = re.compile(r"\bS_IX(?:USR|GRP|OTH)\b|\bS_IEXEC\b")
_DETACH_FLAGS = ("DETACHED_PROCESS", "CREATE_NO_WINDOW", "CREATE_NEW_PROCESS_GROUP",
                 "CREATE_BREAKAWAY_FROM_JOB")
_SINK_METHODS = frozenset({"post", "put", "send", "sendall", "sendto", "send_message",
                           "sendMessage", "execute", "urlopen", "request", "upload",
                           "send_document", "sendDocument"})
_ARMED_MESSENGER = re.compile(
    r"bot\d{6,}:[A-Za-z0-9_-]{20,}|api\.telegram\.org/bot[^\s'\"]*/send[A-Z]\w+|"
    r"discord(?:app)?\.com/api/webhooks/\d{6,}|hooks\.slack\.com/services/T\w+/B\w+")
_ARMED_LINE = re.compile(r"api\.telegram\.org/bot.{0,120}?/send[A-Z]\w+|"
                         r"discord(?:app)?\.com/api/webhooks/.{0,120}?\bexecute\b")
# A Telegram bot token on its own (bot id, colon, 35-character secret).
_BOT_TOKEN = re.compile(r"\d{8,10}:AA[A-Za-z0-9_-]{33}")
_DROP_SITE_LABELS = ("messenger:", "catcher:", "tunnel:", "paste:", "rawip:")
_LOCAL_SOCKET_CALLS = frozenset({"socket.socket", "socket.socketpair"})
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_HOME_PATHS = frozenset({"/", "~", "~/", "C:\\", "C:/", "/home", "/root", "/etc", "/usr"})
# String label kinds that are findings on their own, wherever the string is.
STRING_RULES = {
    "secret": "python.secrets.credential-store",
    "messenger": "python.network.messenger",
    "catcher": "python.network.request-catcher",
    "tunnel": "python.network.request-catcher",
    "paste": "python.network.file-host",
    "rawip": "python.network.raw-ip",
    "persistence": "python.persistence.autostart",
    "revshell": "python.process.reverse-shell",
    "mining": "python.mining.miner",
    "vmcheck": "python.evasion.vm-check",
    "obfuscator": "python.obfuscation.commercial",
    "evalshell": "python.process.shell-download",
    "fingerprint": "python.fingerprint.host-info",
}
# Targets only stealers read; cloud metadata, kubeconfig or ~/.aws are read by SDKs too.
STEALER_SECRETS = frozenset({"browser-profile", "discord-tokens", "crypto-wallets",
                             "messenger-session"})
# Services that hand out credentials to the code running next to them (cloud metadata,
# Kubernetes service-account tokens): every cloud SDK names them.
SERVICE_SECRETS = frozenset({"cloud-metadata", "k8s-token"})


MAX_INLINE_STEPS = 12
MAX_CALL_SITES = 2000
_STDLIB = frozenset(sys.stdlib_module_names) | {"builtins"}
# Calls that hand back (a form of) the path or tool name they are given.
_PATH_WRAPPERS = frozenset({"pathlib.Path", "builtins.str", "os.fspath", "os.path.abspath",
                            "os.path.realpath", "os.path.normpath", "os.path.expanduser",
                            "shutil.which", "shlex.split", "shlex.quote"})
_FILE_DOWNLOADS = frozenset({"urllib.request.urlretrieve", "urllib.urlretrieve",
                             "wget.download"})
# setup.py verbs pip (or a PEP 517 frontend through setuptools) runs while installing.
_PIP_VERBS = frozenset({"install", "develop", "egg_info", "build", "build_ext", "build_py",
                        "build_clib", "build_scripts", "bdist_wheel", "bdist_egg", "bdist",
                        "sdist", "dist_info", "editable_wheel", "install_lib",
                        "install_scripts", "install_data", "install_egg_info"})
PARAM = "\x00param:"
# Attributes that hold the configured compiler or build tool (distutils' compiler objects).
_COMPILER_ATTRIBUTES = frozenset({"cc", "cxx", "compiler", "compiler_so", "compiler_cxx",
                                  "linker_so", "linker_exe", "archiver", "ranlib"})

# A written file that is a program or script, and folders outside the project where droppers
# put them (the user's profile, temp folders).
_DROPPED_PROGRAM = re.compile(r"\.(?:exe|scr|bat|cmd|ps1|vbs|js|jar|msi|dll|hta)\b", re.IGNORECASE)
_USER_LOCATION = re.compile(r"\b(?:LOCAL)?APPDATA\b|\bProgramData\b|\bTEMP\b|\bTMP\b|[/\\]tmp[/\\]|"
                            r"^~|\s~|[/\\]Users[/\\]|/home/", re.IGNORECASE)
# base64 of "http": how an encoded URL literal starts (see CallWalker._hidden_url).
_B64_HTTP = "aHR0c"
_PLAIN_URL = re.compile(r"https?://[\w.-]+(?::\d+)?(?:[/?#][^\s'\"<>]*)?")
_IMPORT_LINE = re.compile(r"^(?:import\s|from\s+\S+\s+import\b)|;\s*import\s")
# Module names that code without imports may still use (see CallWalker.__init__).
_BARE_MODULES = {**{m: m for m in ("os", "sys", "subprocess", "socket", "getpass", "platform",
                                   "base64", "zlib", "marshal", "shutil", "ctypes", "uuid",
                                   "urllib", "urllib2", "requests", "httplib")},
                 "request": "urllib.request"}


class CallWalker(Walker):
    """The walker plus everything that turns calls and strings into hits."""

    def __init__(self, lines: list[str], line_offset: int = 0) -> None:
        super().__init__(lines, line_offset)
        # The module's own small helpers (``_ = lambda s: ...``, ``def decode(s): ...``) that
        # folding may call with constant arguments: obfuscators route every blob through one.
        self.inlines: dict[str, Inline] = {}
        self._pending_inlines: dict[str, tuple] = {}
        # The expression last assigned to each name, per scope: what a command's program
        # variable was built from (``make = os.environ.get('MAKE') or 'make'``).
        self.assigned: dict[str, dict[str, cst.BaseExpression | tuple]] = {}
        # Spawns whose program is a parameter of their function (versioneer's
        # ``run_command(commands, args)``), decided by the module's call sites afterwards.
        self.function_params: dict[str, tuple[str, ...]] = {}
        self.param_spawns: list[tuple[int, str, frozenset[str]]] = []
        self.call_sites: dict[str, list[tuple[cst.Call, tuple[str, ...]]]] = {}
        self.default_refs: dict[str, set[str]] = {}  # function -> parameters defaulting to it
        self.fetched_files: list[tuple[int, str, str]] = []  # downloads that write a file
        self._joined: set[int] = set()  # path joins already reported (inner ``/`` nodes)
        self.binary_writes: list[tuple[int, str, str]] = []  # files opened for writing bytes
        self.opaque_spawns: list[tuple[int, str, str]] = []  # programs the code computes
        self.tool_spawns: set[int] = set()  # lines that start a build tool (make, nm, git)
        self.verifies: list[tuple[int, str]] = []  # digests computed / checksums verified
        self.fetch_only: set[tuple[int, str]] = set()  # download commands chaining nothing
        # ``def launch(*argv): Popen(argv, ...)``: function -> (star parameter, its position),
        # and detached spawns of such a parameter, decided by the call sites afterwards.
        self.star_params: dict[str, tuple[str, int]] = {}
        self.star_detached: list[tuple[int, str]] = []
        self.returns: dict[str, list[cst.BaseExpression]] = {}  # function -> returned values
        self.fold_env = FoldEnv(self.qualname, self.constant, self.inlines.get)
        if not any(_IMPORT_LINE.search(line) for line in lines):
            # Module code that imports nothing (a fragment pasted into setup.py, a payload
            # exec'd in the namespace of the module that decoded it) can only mean the
            # well-known modules by these names: ``socket.gethostname()`` is the socket
            # module's. Imports inside functions still bind their own scope first.
            self.aliases[MODULE_SCOPE].update(_BARE_MODULES)

    # ----- helpers folding can call through ------------------------------------------------
    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        # ``cmd: list[str] = ['cargo', 'build']`` names a program like a plain assignment.
        super().visit_AnnAssign(node)
        if node.value is not None and isinstance(node.target, cst.Name):
            self._store(self.assigned, node.target.value, node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        name = node.targets[0].target.value
        self._store(self.assigned, name, node.value)
        params = _plain_params(node.value.params) if isinstance(node.value, cst.Lambda) \
            else None
        if params is None:
            self.inlines.pop(name, None)
            return
        self.inlines[name] = Inline(params, (), node.value.body,
                                    self.chain_of(node.value.body))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        key = self.pending_bodies.get(id(node.body))
        if key is not None:
            params = node.params
            self.function_params[key] = tuple(
                p.name.value for p in (*params.posonly_params, *params.params,
                                       *params.kwonly_params))
            if isinstance(params.star_arg, cst.Param):
                self.star_params[key] = (params.star_arg.name.value,
                                         len(params.posonly_params) + len(params.params))
            for param in (*params.params, *params.kwonly_params):
                if isinstance(param.default, cst.Name):  # runner=run_command
                    self.default_refs.setdefault(param.default.value, set()).add(
                        param.name.value)
        if self.scope not in (MODULE_SCOPE, MAIN_SCOPE) or self.classes:
            return
        self.inlines.pop(node.name.value, None)
        params = _plain_params(node.params)
        shape = _assign_and_return(node.body)
        if params is not None and shape is not None:
            self._pending_inlines[node.name.value] = (params, *shape)

    def visit_If(self, node: cst.If) -> None:
        super().visit_If(node)
        verb = self._argv_verb(node.test)
        if verb is not None and verb not in _PIP_VERBS and self.scope == MODULE_SCOPE and \
                id(node.body) not in self.pending_bodies:
            # ``if sys.argv[-1] == 'publish': os.system('twine upload dist/*')``: a verb the
            # developer types, never one pip runs. Nothing calls this scope: runtime.
            self.pending_bodies[id(node.body)] = f"<argv:{verb}>"

    def _argv_verb(self, test: cst.BaseExpression) -> str | None:
        """The literal a setup.py condition compares ``sys.argv`` with, if that is all it
        does (``sys.argv[-1] == 'publish'``, ``'upload' in sys.argv[1:]``)."""
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return None
        left, right = test.left, test.comparisons[0].comparator
        op = test.comparisons[0].operator
        if isinstance(op, (cst.Equal, cst.In)):
            for value, other in ((left, right), (right, left)):
                literal = fold(value, self.fold_env)
                base = other.value if isinstance(other, cst.Subscript) else other
                if isinstance(literal, str) and self.qualname(base) == "sys.argv":
                    return literal
        return None

    def visit_For(self, node: cst.For) -> None:
        super().visit_For(node)
        if isinstance(node.target, cst.Name):
            self._store(self.assigned, node.target.value, ("for", node.iter))

    def visit_Return(self, node: cst.Return) -> None:
        # The decode chain of the result is known only inside the function's scope.
        if node.value is not None:
            self.returns.setdefault(self.scope, []).append(node.value)
        pending = self._pending_inlines.pop(self.scope, None)
        if pending is not None and node.value is pending[2]:
            params, steps, result = pending
            self.inlines[self.scope] = Inline(params, steps, result, self.chain_of(result))

    # ----- pathlib joins -----------------------------------------------------------------
    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        joined = _path_join(node, self)
        if joined is not None and id(node) not in self._joined:
            self._joined.update(id(n) for n in _divisions(node))
            self._string(node, joined)

    def describe(self, node: cst.CSTNode | None, depth: int = 0) -> frozenset[str]:
        labels = super().describe(node, depth)
        if isinstance(node, cst.BinaryOperation):
            joined = _path_join(node, self)
            if joined is not None:
                labels |= labels_in(joined)
        return labels

    def chain_of(self, node: cst.CSTNode | None, depth: int = 0) -> tuple[str, ...]:
        if isinstance(node, (cst.GeneratorExp, cst.ListComp)) and depth < 20:
            # chr(c ^ k) for c, k in zip(b64decode(...), cycle(key)): a repeating-key XOR.
            inner = self.chain_of(node.for_in.iter, depth + 1)
            return inner + (("xor",) if _has_xor(node.elt) else ())
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.args:
            helper = self.inlines.get(node.func.value)
            if helper is not None and helper.chain:
                return super().chain_of(node.args[0].value, depth + 1) + helper.chain
        return super().chain_of(node, depth)

    # ----- strings -----------------------------------------------------------------------
    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) in self.docstrings:
            return
        try:
            value = string_value(node)
        except Exception:
            return
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        self._string(node, value)
        if value.startswith(_B64_HTTP) and len(value) < 4096:
            self._hidden_url(node, value)
        if len(value) >= 128 and id(node) not in self.consumed:
            self._blob(node, value)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        value = fold(node, self.fold_env)  # f"...bot{TOKEN}/..." with a constant TOKEN
        text = value if isinstance(value, str) else "".join(
            p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
        self._string(node, text)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        value = fold(node, self.fold_env)
        if isinstance(value, str):
            self._string(node, value)

    def on_folded_string(self, node: cst.CSTNode, value: str) -> None:
        self._string(node, value)

    def _string(self, node: cst.CSTNode, value: str) -> None:
        if _BOT_TOKEN.fullmatch(value.strip()):
            self.hit("python.network.messenger", node, f"telegram-bot-token: {value[:12]}…",
                     strong=True)
        labels = labels_in(value)
        self.module_labels |= labels
        for label in sorted(labels):  # a fixed order: the first label of a line is its evidence
            kind, _, detail = label.partition(":")
            rule = STRING_RULES.get(kind)
            if rule is None:
                continue
            strong = (kind == "secret" and detail in STEALER_SECRETS) or kind == "catcher"
            weak = False
            if detail == "free-app-host":
                weak = True  # a lead: see indicators (a request sent there is a beacon)
            if kind == "secret" and detail in SERVICE_SECRETS:
                # SDKs and cluster clients talk to these services; naming one is a lead.
                # What is read from them and sent elsewhere is a direct flow.
                weak = True
            if kind == "messenger":
                # A bot token or webhook id in the code, or a send call in the URL (or on the
                # line that builds it), is a drop box someone controls; a bare API base URL
                # is what bot libraries ship.
                strong = bool(_ARMED_MESSENGER.search(value) or _ARMED_LINE.search(
                    self.snippet(self.line(node))))
                weak = not strong
            if kind == "rawip" and _quoted_in_text(value):
                # An address inside lines of other text (a sample web-server log) is quoted;
                # a URL on its own, or a list of them one per line, is an endpoint.
                weak = True
            if kind == "secret":
                self.sources.append(("secret", self.line(node), self.scope, detail))
            if kind == "fingerprint":
                self.sources.append(("fingerprint", self.line(node), self.scope, detail))
            self.hit(rule, node, f"{detail}: {value[:160]}", strong=strong, weak=weak)

    def _hidden_url(self, node: cst.CSTNode, value: str) -> None:
        """A literal that is a whole URL in base64. Packages name their endpoints in the
        clear; droppers and stealers encode theirs so that a reader (or a grep) misses them.
        The URL itself is read like any other string (a webhook in it is a webhook)."""
        try:
            url = base64.b64decode(value.strip(), validate=True).decode("ascii")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return
        if _PLAIN_URL.fullmatch(url):
            self.hit("python.network.hidden-endpoint", node,
                     f"base64 literal decodes to {url[:160]}")
            self._string(node, url)

    def _blob(self, node: cst.CSTNode, value: str) -> None:
        """A long literal that decodes to Python source is analysed again."""
        decoded, chain = decoders.unwrap(value)
        if chain and decoders.looks_like_code(decoded):
            line = self.line(node)
            self.hit("python.obfuscation.encoded-code", line,
                     f"literal at line {line} decodes ({' → '.join(chain)}) to Python source")
            self.payload(decoded, chain, line)

    # ----- calls -------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        name = self.qualname(node.func)
        self._edges(node)
        func = node.func
        called = func.value if isinstance(func, cst.Name) else \
            func.attr.value if isinstance(func, cst.Attribute) else None
        if name in _DIGESTS or (called is not None and _VERIFY_NAME.search(called)):
            self.verifies.append((self.line(node), self.scope))
        if name is not None and "." in name and name.split(".", 1)[0] not in _STDLIB:
            # ``from helpers import beacon; beacon()``: setup.py's call names a function of a
            # local module, which then runs at install (roles read these edges).
            self.facts.edge(self.scope, name)
        if name is None and len(self.call_sites) < MAX_CALL_SITES:
            func = node.func
            callee = func.value if isinstance(func, cst.Name) else \
                func.attr.value if isinstance(func, cst.Attribute) else None
            if callee is not None:
                self.call_sites.setdefault(callee, []).append((node, tuple(self.scopes)))
        if name and _OBFUSCATOR_RUNTIME.search(name):
            self.hit("python.obfuscation.commercial", node, f"calls {name}()")
        elif isinstance(node.func, cst.Name) and _OBFUSCATOR_RUNTIME.search(node.func.value):
            self.hit("python.obfuscation.commercial", node, f"calls {node.func.value}()")
        if name is None:
            self._method(node)
            return
        if name in names.EXEC:
            self._exec(node, name)
        elif name in names.SPAWN:
            self._spawn(node, name)
        elif name in names.HTTP or name in names.SOCKET or name in names.DNS:
            self._network(node, name)
        elif name in names.DECODE or name == "codecs.decode":
            self._decode(node)
        elif name in names.DESERIALIZE:
            self._deserialize(node, name)
        elif name in names.FINGERPRINT and names.FINGERPRINT[name] != "platform":
            # OS name/version identifies no one (user agents carry it); host, user, cwd do.
            detail = names.FINGERPRINT[name]
            self.sources.append(("fingerprint", self.line(node), self.scope, detail))
            self.hit("python.fingerprint.host-info", node, f"{detail} via {name}()")
        elif name in names.SECRET_CALLS:
            detail = names.SECRET_CALLS[name]
            self.sources.append(("secret", self.line(node), self.scope, detail))
            if detail != "environment":  # environ.copy()/items() alone is everyday code
                self.hit("python.secrets.credential-store", node, f"{detail} via {name}()",
                         strong=True)
        elif name in names.SURVEILLANCE:
            self.hit("python.surveillance.capture", node,
                     f"{names.SURVEILLANCE[name]} via {name}()")
        elif name in names.DELETE:
            self._delete(node, name)
        elif name in names.REGISTRY_WRITE:
            self.hit("python.persistence.autostart", node, f"registry write via {name}()",
                     strong=True)
        elif name in names.CHMOD:
            self._chmod(node)
        elif name in names.SLEEP:
            self._sleep(node)
        elif name in names.THREAD:
            if any(a.keyword and a.keyword.value == "daemon" for a in node.args):
                self.hit("python.process.daemon-thread", node)
            self._thread_target(node)
        elif name in names.ATEXIT:
            self.hit("python.install.hook", node, "atexit.register: runs when the process exits")
        elif name == "os.dup2":
            # A reverse shell puts the socket on the shell's stdin/stdout/stderr. Handing a
            # descriptor to a fixed slot above them (fd 3, systemd socket activation) is not.
            target = fold(node.args[1].value, self.fold_env) if len(node.args) >= 2 else None
            if not (isinstance(target, int) and target > 2):
                self.sources.append(("dup2", self.line(node), self.scope, "dup2"))
        elif name in ("builtins.open", "io.open", "codecs.open"):
            self._open(node)
        elif name in ("builtins.dict", "json.dumps", "builtins.str", "builtins.repr") and \
                node.args and self.qualname(node.args[0].value) == "os.environ":
            self.sources.append(("secret", self.line(node), self.scope, "environment"))
            self.hit("python.secrets.environment", node)
        elif name in ("shutil.copy", "shutil.copyfile", "shutil.copy2", "shutil.move"):
            self._copy(node)
        elif name in ("os.rename", "os.replace") and len(node.args) >= 2:
            self._moved_into_autostart(node, node.args[1].value)
        elif name.startswith("builtins.") and name[9:] in ("setattr",):
            pass
        else:
            self._method(node)

    def _thread_target(self, node: cst.Call) -> None:
        """``Thread(target=os.system, args=(cmd,))`` runs ``os.system(cmd)``."""
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword}
        target = keywords.get("target")
        spawner = self.qualname(target) if target is not None else None
        args = keywords.get("args")
        if spawner in names.SPAWN and isinstance(args, (cst.Tuple, cst.List)) and args.elements:
            self._spawn(node.with_changes(func=target, args=[
                cst.Arg(e.value) for e in args.elements]), spawner)

    def _edges(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and self._lookup(self.aliases, func.value) is None:
            self.facts.edge(self.scope, func.value)
            self.facts.edge(self.scope, f"{func.value}.__init__")
        elif isinstance(func, cst.Attribute):
            base = func.value
            if isinstance(base, cst.Name) and base.value in ("self", "cls") and self.classes:
                self.facts.edge(self.scope, f"{self.classes[-1]}.{func.attr.value}")
            elif isinstance(base, cst.Name):
                self.facts.edge(self.scope, f"{base.value}.{func.attr.value}")
            elif isinstance(base, cst.Call) and isinstance(base.func, cst.Name):
                self.facts.edge(self.scope, f"{base.func.value}.__init__")
                self.facts.edge(self.scope, f"{base.func.value}.{func.attr.value}")
        # Callbacks count as calls only where the callee really runs them now or soon
        # (threads, atexit, map/filter); registering a function is not calling it.
        runner = self.qualname(func) in _CALLBACK_RUNNERS
        for arg in node.args:
            if not runner and not (arg.keyword and arg.keyword.value == "target"):
                continue
            value = arg.value
            if isinstance(value, cst.Name):
                self.facts.edge(self.scope, value.value)
            elif isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and \
                    value.value.value in ("self", "cls") and self.classes:
                self.facts.edge(self.scope, f"{self.classes[-1]}.{value.attr.value}")

    def _method(self, node: cst.Call) -> None:
        """Unresolved method calls: network sinks on sockets/sessions, pathlib writes."""
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method in _SINK_METHODS and self.network_module:
            self._flows(node, self._sent_labels(node), f".{method}()")
            self.sinks.append((self.line(node), self.scope, f".{method}()"))
            if method == "sendto" and _port(node, self) == 53:
                self.hit("python.network.dns", node, "raw UDP datagram to port 53", strong=True)
        elif method == "connect" and node.args and isinstance(node.args[0].value, cst.Tuple):
            self.sinks.append((self.line(node), self.scope, ".connect()"))
            self.sources.append(("socket", self.line(node), self.scope, "connect"))
            self.mark_network_in_try()
        elif method in ("write_bytes", "write_text"):
            self._write_path(node, func.value)
            self._written_code(node)
        elif method in ("write", "writelines"):
            self._written_code(node)
        elif method == "decrypt" and node.args:
            self._decode(node)

    def _written_code(self, node: cst.Call) -> None:
        """Python source written to a file is a dropper's next stage: analyse it as code."""
        from .tokens import needs_tree

        if not node.args:
            return
        value = fold(node.args[0].value, self.fold_env)
        if not isinstance(value, (str, bytes)) or len(value) < 16:
            return
        raw = decoders.as_bytes(value)
        if decoders.looks_like_code(raw) and needs_tree(raw):
            self.payload(value, ("written to a file",), self.line(node))

    def _exec(self, node: cst.Call, name: str) -> None:
        line = self.line(node)
        if self.hidden_route(node.func):
            self.hit("python.obfuscation.hidden-builtin", node,
                     f"{name.split('.')[-1]} reached through a string lookup", strong=True)
        if not node.args:
            return
        arg = node.args[0].value
        self.consumed.add(id(arg))
        if isinstance(arg, cst.SimpleString) and _mostly_escapes(arg.value):
            self.hit("python.obfuscation.hidden-builtin", node,
                     f"{name.split('.')[-1]} of an escape-encoded literal: {arg.value[:80]}",
                     strong=True)
        chain = self.chain_of(arg)
        labels = self.describe(arg)
        value = fold(arg, self.fold_env)
        verb = name.split(".")[-1]
        if isinstance(value, (str, bytes)):
            self.payload(value, chain + (verb,), line)
        if chain:
            self.hit("python.exec.decoded-payload", node,
                     f"{' → '.join(chain + (verb,))}: {self.snippet(line)[:100]}",
                     strong=value is not None)
        elif "network:download" in labels:
            self.downloads.append((line, self.scope, name))
            self.hit("python.exec.remote-code", node, f"downloaded code → {verb}")
        elif "media" in labels:
            self.hit("python.stego.media-payload", node, f"media bytes → {verb}")
        elif value is not None:
            self.hit("python.exec.literal-code", node)
        elif "file-read" in labels or "input" in labels or name in ("runpy.run_path",
                                                                       "runpy.run_module"):
            return
        elif verb in ("exec", "eval", "execfile"):
            self.hit("python.exec.dynamic", node)

    def _decode(self, node: cst.Call) -> None:
        """A decoder called on a literal (outside exec): decode it and look inside."""
        if id(node) in self.consumed:  # already followed as the argument of an exec
            self.consumed.update(id(a.value) for a in node.args)
            return
        value = fold(node, self.fold_env)
        if isinstance(value, (bytes, str)) and len(value) >= 32:
            decoded, more = decoders.unwrap(value)
            chain = self.chain_of(node) + more
            if decoders.looks_like_code(decoded):
                line = self.line(node)
                self.hit("python.obfuscation.encoded-code", node,
                         f"{' → '.join(chain)} yields Python source")
                self.payload(decoded, chain, line)

    def _deserialize(self, node: cst.Call, name: str) -> None:
        if not node.args:
            return
        arg = node.args[0].value
        chain = self.chain_of(arg)
        labels = self.describe(arg)
        kind = names.DESERIALIZE[name]
        # A decode chain over a caller's argument (keras loading a saved lambda) is data the
        # caller chose; over an embedded constant it is a blob shipped in the package.
        constant = fold(arg, self.fold_env) is not None or (
            chain and _folds_to_constant(arg, self))
        if (chain and constant) or isinstance(arg, (cst.SimpleString, cst.ConcatenatedString)):
            self.hit("python.decode.deserialize-blob", node,
                     f"{' → '.join(chain + (kind,))}: {self.snippet(self.line(node))}",
                     strong=kind == "marshal")
        elif kind == "marshal" and "file-read" in labels:
            self.hit("python.decode.deserialize-blob", node, "marshal.loads on file bytes "
                     "(code objects hidden in .pyc-like data)")
        elif "network:download" in labels:
            self.hit("python.decode.deserialize-blob", node, f"downloaded bytes → {kind}",
                     strong=True)

    def _spawn(self, node: cst.Call, name: str) -> None:
        line = self.line(node)
        args = [a for a in node.args if not a.keyword]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword}
        command = args[0].value if args else keywords.get("args")
        parts = _command_parts(command, self) if command is not None else []
        text = " ".join(p for p in parts if isinstance(p, str))
        labels = set(labels_in(text)) if text else set()
        for arg in node.args:
            labels |= self.describe(arg.value)
        self.spawns.append((line, self.scope, text[:120] or name))
        programs = self._programs(command) if command is not None else set()
        params = frozenset(p for p in programs if p.startswith(PARAM))
        known_tool = bool(programs) and not params and all(_is_build_tool(p) for p in programs)
        if params and all(_is_build_tool(p) for p in programs - params):
            self.param_spawns.append((line, self.scope, frozenset(p[len(PARAM):]
                                                                  for p in params)))
        evidence = f"{name}: {text[:160]}" if text else f"{name}: {self.snippet(line)}"
        if self.hidden_route(node.func):
            self.hit("python.obfuscation.hidden-builtin", node,
                     f"{name} reached through a string lookup", strong=True)
        if not known_tool:  # build tools (cmake, git, compilers) are what setup.py runs
            self.hit("python.process.spawn", node, evidence, strong=True)
        if not programs or params:
            self.opaque_spawns.append((line, self.scope, text[:120] or name))
        if known_tool:
            self.tool_spawns.add(line)
        decoded = self.chain_of(command) if command is not None else ()
        if decoded:
            # The command was kept encoded until it runs: nobody reading the code sees it.
            self.hit("python.process.decoded-command", node,
                     f"{' → '.join(decoded)} → {name}: {text[:140] or self.snippet(line)}")
        download = (labels & {"download:shell-download", "evalshell:powershell-encoded"} or any(
            k.startswith(("paste:", "catcher:", "messenger:", "rawip:", "tunnel:"))
            for k in labels) or (
            "network:download" in labels)) and not _loopback_only(
            text + " " + " ".join(_strings_in(command, self)) if command is not None else text)
        if download:
            self.downloads.append((line, self.scope, text[:120] or name))
            if text and not _CHAINED_COMMAND.search(text.replace(">/dev/null", "")):
                self.fetch_only.add((line, self.scope))  # runs nothing after fetching
            if re.search(r"\s-[oO]\b|--output\b|\bwget\b|-OutFile\b|DownloadFile|>", text):
                self.fetched_files.append((line, self.scope, text[:120]))
            if _fetches_source_only(text, labels):
                self.hit("python.network.file-fetch", node, evidence, strong=True)
            else:
                self.hit("python.process.shell-download", node, evidence, strong=True)
        if "dnscmd:dns-command" in labels and not known_tool and (
                programs & _DNS_TOOLS or _DNS_COMMAND.search(text)):
            # nslookup/dig/host run as a command, not ``host`` as an option's value
            # (``docker run --userns=host``) or a word in a product name.
            self.hit("python.network.dns", node, evidence)
        if "revshell:reverse-shell" in labels:
            self.hit("python.process.reverse-shell", node, evidence, strong=True)
        if "destroy:wipe-command" in labels:
            self.hit("python.destruction.delete", node, evidence, strong=True)
        if any(k.startswith("persistence:") for k in labels):
            self.hit("python.persistence.autostart", node, evidence, strong=True)
        if re.search(r"\bchmod\s+(?:\+x|[0-7]*[1357]\b|u\+x|a\+x|7)", text):
            self.chmods.append((line, self.scope, text[:120]))
        if self._detached(keywords, text):
            fixed = command is not None and not decoded and not download and not labels and \
                fixed_command(fold(command, self.fold_env))
            # A fixed, named system program started in the background (a display server, a
            # browser for a fixture) hides nothing the code does not show: a lead.
            self.hit("python.process.detached", node, evidence,
                     strong=not known_tool and not fixed, weak=fixed)
            star = self.star_params.get(self.scope)
            if not fixed and star and isinstance(command, cst.Name) and \
                    command.value == star[0]:
                self.star_detached.append((line, self.scope))
        code = _python_c(command, self)
        if code is not None:
            self.hit("python.process.python-c", node, f"{name}: python -c {code[:120]}",
                     strong=True)
            self.payload(code, ("python -c",), line)
        secrets = sorted(k for k in labels if k.startswith(("secret:", "fingerprint:")))
        if secrets and download:
            rule = "python.flow.secret-to-network" if any(k.startswith("secret:")
                                                          for k in secrets) else \
                "python.flow.fingerprint-to-network"
            self.hit(rule, node, f"{', '.join(secrets)} → {evidence}", strong=True)

    def _programs(self, command: cst.BaseExpression) -> set[str]:
        """Every program a command can start, as far as the code says: the first word of a
        string command, or what the first element of an argument list can be — a literal,
        a variable's assigned value, either branch of ``a if c else b`` / ``x or 'make'``,
        the default of ``os.environ.get('CXX', 'c++')``, the path given to a local helper
        (``abshere('src/configure')``), ``shlex.split(...)``. Empty when unknown."""
        head = command
        for _ in range(20):
            if isinstance(head, cst.BinaryOperation) and isinstance(head.operator, cst.Add):
                head = head.left
            elif isinstance(head, (cst.List, cst.Tuple)) and head.elements:
                head = head.elements[0].value
                break
            else:
                break
        strings = self._head_strings(head, 0)
        if strings is None:
            return set()
        out = set()
        for value in strings:
            if value.startswith(PARAM):
                out.add(value)
                continue
            words = value.strip().split()
            if not words:
                return set()
            program = re.split(r"[/\\]", words[0])[-1].lower()
            out.add(program[:-4] if program.endswith(".exe") else program)
        return out

    def _head_strings(self, node: cst.BaseExpression, depth: int) -> list[str] | None:
        if depth > 8:
            return None
        value = fold(node, self.fold_env)
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [value[0]] if value and isinstance(value[0], str) else None
        if isinstance(node, cst.Name):
            if self.qualname(node) == "sys.executable":
                return None  # whatever script it runs decides; not a build tool by itself
            assigned = self._lookup(self.assigned, node.value)
            if isinstance(assigned, tuple):  # a loop variable: every item it takes
                items = fold(assigned[1], self.fold_env)
                if isinstance(items, list):
                    return [i for i in items if isinstance(i, str)] or None
                return self._head_strings(assigned[1], depth + 1)
            if assigned is None and node.value in self.function_params.get(self.scope, ()):
                return [PARAM + node.value]
            return self._head_strings(assigned, depth + 1) if assigned is not None else None
        if isinstance(node, cst.Attribute) and node.attr.value in _COMPILER_ATTRIBUTES:
            return [node.attr.value]  # the configured compiler (distutils' compiler.cc ...)
        if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute) and \
                node.value.attr.value in _COMPILER_ATTRIBUTES:
            return [node.value.attr.value]
        if isinstance(node, cst.IfExp):
            return _both(self._head_strings(node.body, depth + 1),
                         self._head_strings(node.orelse, depth + 1))
        if isinstance(node, cst.BooleanOperation):  # os.environ.get('MAKE') or 'make'
            right = self._head_strings(node.right, depth + 1)
            left = self._head_strings(node.left, depth + 1)
            return right if left == [] else _both(left, right)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            return self._head_strings(node.right, depth + 1)  # Path(bin_dir) / "cmake"
        if isinstance(node, (cst.BinaryOperation, cst.List, cst.Tuple)):
            return self._head_strings(self._first(node), depth + 1)
        if not isinstance(node, cst.Call):
            return None
        callee = self.qualname(node.func)
        args = [a.value for a in node.args if not a.keyword]
        if callee in ("os.environ.get", "os.getenv"):
            # A configurable tool (CC, CXX, MAKE): what runs by default is the second argument.
            return self._head_strings(args[1], depth + 1) if len(args) >= 2 else []
        if callee in _PATH_WRAPPERS and args:
            return self._head_strings(args[0], depth + 1)
        if callee is None and not args and isinstance(node.func, cst.Attribute) and \
                node.func.attr.value in ("resolve", "absolute", "as_posix", "strip"):
            return self._head_strings(node.func.value, depth + 1)  # (dir / "cmake").resolve()
        if callee is None and not args and isinstance(node.func, cst.Name) and \
                node.func.value in self.returns:
            return self._returned_tools(node.func.value)
        if callee is None or callee in ("os.path.join", "distutils.spawn.find_executable"):
            # A helper given a path or a tool name: what it names is what runs.
            named = [fold(a, self.fold_env) for a in args]
            named = [n for n in named if isinstance(n, str)]
            return named[-1:] or None
        return None

    def _returned_tools(self, function: str) -> list[str] | None:
        """What a module helper without arguments returns, when every ``return`` is a literal
        or the user's own setting (``def get_make(): return environ.get('MAKE') or 'make'``
        reads ``$MAKE`` or returns ``'make'``): the tool names it can hand back."""
        out: list[str] = []
        for value in self.returns[function]:
            literal = fold(value, self.fold_env)
            if isinstance(literal, str):
                out.append(literal)
            elif not _user_setting(value, self):
                return None
        return out

    def _param_sites(self, scope: str, param: str):
        """(argument, scopes) of ``param`` at every call site of the function ``scope``;
        None when a site does not pass it, empty when there are no sites."""
        params = self.function_params.get(scope, ())
        if param not in params:
            return []
        name = scope.split(".")[-1]
        sites = [site for callee in (name, *sorted(self.default_refs.get(name, ())))
                 for site in self.call_sites.get(callee, [])]
        out = []
        for call, scopes in sites:
            index = params.index(param)
            if params and params[0] in ("self", "cls") and isinstance(call.func, cst.Attribute):
                index -= 1
            positional = [a.value for a in call.args if a.keyword is None and not a.star]
            named = {a.keyword.value: a.value for a in call.args if a.keyword}
            arg = named.get(param) or (positional[index] if 0 <= index < len(positional)
                                       else None)
            if arg is None:
                return None
            out.append((arg, scopes))
        return out

    def param_runs_own_script(self, scope: str, param: str) -> bool:
        """Whether every call site of ``scope`` passes ``[sys.executable, 'name.py', ...]``
        as ``param`` for a script the module never writes: the helper runs the project's own
        Python script (a test runner), not a program it fetched or computed."""
        sites = self._param_sites(scope, param)
        if not sites:
            return False
        written = " ".join(w[2] for w in self.writes)
        saved = self.scopes
        try:
            for arg, scopes in sites:
                self.scopes = list(scopes)
                head = arg
                for _ in range(4):
                    assigned = self._lookup(self.assigned, head.value) \
                        if isinstance(head, cst.Name) else None
                    if assigned is None or isinstance(assigned, tuple):
                        break
                    head = assigned
                while isinstance(head, cst.BinaryOperation) and \
                        isinstance(head.operator, cst.Add):
                    head = head.left
                if not isinstance(head, (cst.List, cst.Tuple)) or len(head.elements) < 2 or \
                        self.qualname(head.elements[0].value) != "sys.executable":
                    return False
                script = fold(head.elements[1].value, self.fold_env)
                if not (isinstance(script, str) and script.endswith(".py")) or \
                        script.rsplit("/", 1)[-1] in written:
                    return False
        finally:
            self.scopes = saved
        return True

    def resolve_param_spawn(self, scope: str, param: str) -> bool:
        """Whether every call site of the function ``scope`` passes a build tool as
        ``param`` (and there is at least one)."""
        sites = self._param_sites(scope, param)
        if not sites:
            return False
        saved = self.scopes
        try:
            for arg, scopes in sites:
                self.scopes = list(scopes)
                value = fold(arg, self.fold_env)
                strings = [v for v in value if isinstance(v, str)] if isinstance(value, list) \
                    else self._head_strings(arg, 0)
                if not strings or any(v.startswith(PARAM) for v in strings):
                    return False
                programs = {re.split(r"[/\\]", v.strip().split()[0])[-1].lower()
                            for v in strings if v.strip()}
                if not programs or not all(_is_build_tool(p.removesuffix(".exe").removesuffix(
                        ".cmd")) for p in programs):
                    return False
        finally:
            self.scopes = saved
        return True

    @staticmethod
    def _first(node: cst.BaseExpression) -> cst.BaseExpression:
        while isinstance(node, cst.BinaryOperation):
            node = node.left
        if isinstance(node, (cst.List, cst.Tuple)) and node.elements:
            return node.elements[0].value
        return node

    def _detached(self, keywords: dict, text: str) -> bool:
        value = keywords.get("start_new_session")
        if isinstance(value, cst.Name) and value.value == "True":
            return True
        flags = keywords.get("creationflags")
        if flags is not None:
            rendered = _dotted_names(flags)
            folded = fold(flags, self.fold_env)
            if any(f in rendered for f in _DETACH_FLAGS) or (
                    isinstance(folded, int) and folded & (0x8 | 0x08000000 | 0x200)):
                return True
        if "preexec_fn" in keywords and "setsid" in _dotted_names(keywords["preexec_fn"]):
            return True
        silenced = [k for k in ("stdout", "stderr") if k in keywords and
                    "DEVNULL" in _dotted_names(keywords[k])]
        if len(silenced) == 2:
            return True
        return bool(re.search(r"(?:^|\s)(?:nohup|setsid|disown)\b|&\s*$|\bstart\s+/b\b|"
                              r"pythonw(?:\.exe)?", text))

    def _network(self, node: cst.Call, name: str) -> None:
        line = self.line(node)
        labels = self._sent_labels(node)
        if name not in _LOCAL_SOCKET_CALLS:
            # Creating a socket reaches no one (urllib3 probes IPv6 by binding ::1 inside
            # try/except: pass); connecting, sending and resolving do.
            self.mark_network_in_try()
        if name in names.DNS:
            if node.args and not _names_remote_domain(node.args[0].value, self):
                # Resolving this host's own name (gethostname(), + '.local') asks the local
                # resolver about itself; DNS exfiltration puts data under someone's domain.
                labels = frozenset(k for k in labels if not k.startswith("fingerprint:"))
            constant = node.args and fold(node.args[0].value, self.fold_env) is not None
            if not constant:
                self.hit("python.network.dns", node, f"{name} on a computed host name: "
                         f"{self.snippet(line)}", strong=bool(
                             {k for k in labels if k.startswith(("secret:", "fingerprint:"))}))
            self.sinks.append((line, self.scope, name))
            self._flows(node, labels, name)
            return
        rule = "python.network.socket" if name in names.SOCKET else "python.network.http"
        target = fold(node.args[0].value, self.fold_env) if node.args else None
        # A socket pair or a Unix-domain socket joins two processes of this machine, and a
        # request to a literal loopback URL reaches a server on it: no other host is reached,
        # so it is a lead (still reported), not a network capability.
        local = name == "socket.socketpair" or (name == "socket.socket" and _unix_family(
            node, self)) or (isinstance(target, str) and _loopback_only(target))
        self.hit(rule, node, f"{name}: {self.snippet(line)}", weak=local)
        self.sinks.append((line, self.scope, name))
        if name in names.DOWNLOAD and not (isinstance(target, str) and _loopback_only(target)):
            self.downloads.append((line, self.scope, name))
            if name in _FILE_DOWNLOADS:
                self.fetched_files.append((line, self.scope, name))
        if name in names.SOCKET:
            self.sources.append(("socket", line, self.scope, name))
        self._flows(node, labels, name)

    def _sent_labels(self, node: cst.Call) -> frozenset:
        """Labels of what a network call sends. A request whose destination (method and URL
        positions, ``url=``) is the cloud metadata service reads from it: the token or
        header it sends back there is not exfiltration. What it returns, sent elsewhere, is."""
        labels: set[str] = set()
        destination: set[str] = set()
        positional = [a for a in node.args if not a.keyword]
        url_at = 1 if positional and isinstance(fold(positional[0].value, self.fold_env), str) \
            and str(fold(positional[0].value, self.fold_env)).upper() in _HTTP_METHODS else 0
        index = 0
        for arg in node.args:
            described = self.describe(arg.value)
            labels |= described
            if arg.keyword is None:
                if index == url_at:
                    destination |= described
                index += 1
            elif arg.keyword.value in ("url", "host", "address"):
                destination |= described
        if "secret:cloud-metadata" in destination:
            labels.discard("secret:cloud-metadata")
        return frozenset(labels)

    def _flows(self, node: cst.Call, labels: frozenset, sink: str) -> None:
        line = self.line(node)
        sites = sorted(k.split(":", 1)[1] for k in labels if k.startswith(_DROP_SITE_LABELS))
        if sites:
            self.hit("python.network.catcher-beacon", node,
                     f"{', '.join(sites)} → {sink} (line {line}): {self.snippet(line)[:120]}")
        secrets = sorted(k.split(":", 1)[1] for k in labels if k.startswith("secret:"))
        if secrets == ["env-token"] and not any(k.startswith(_DROP_SITE_LABELS)
                                                for k in labels):
            # One named variable (OPENAI_API_KEY, SENTRY_DSN) sent with a request is how
            # every API client authenticates; the environment dumped, a credential file read,
            # or a token sent to a bot, webhook, paste host or bare IP is not.
            secrets = []
        prints = sorted(k.split(":", 1)[1] for k in labels if k.startswith("fingerprint:")
                        and k != "fingerprint:platform")
        if secrets:
            self.hit("python.flow.secret-to-network", node,
                     f"{self._ends(secrets, line)} → {sink} (line {line}): "
                     f"{self.snippet(line)[:120]}", strong=True)
        if prints:
            self.hit("python.flow.fingerprint-to-network", node,
                     f"{self._ends(prints, line)} → {sink} (line {line}): "
                     f"{self.snippet(line)[:120]}", strong=True)

    def _ends(self, details: list[str], sink_line: int) -> str:
        """Name each source with the line it was read on (the last one before the sink)."""
        out = []
        for detail in details:
            lines = [s[1] for s in self.sources if s[3] == detail]
            before = [n for n in lines if n <= sink_line]
            where = max(before) if before else (min(lines) if lines else sink_line)
            out.append(f"{detail} (line {where})")
        return ", ".join(out)

    def _delete(self, node: cst.Call, name: str) -> None:
        if not node.args:
            return
        arg = node.args[0].value
        value = fold(arg, self.fold_env)
        inner = arg.args[0].value if isinstance(arg, cst.Call) and arg.args else None
        home = isinstance(value, str) and value.rstrip("/\\*") in {p.rstrip("/") for p in
                                                                     _HOME_PATHS}
        if not home and isinstance(arg, cst.Call):
            callee = self.qualname(arg.func)
            home = (callee == "os.path.expanduser" and inner is not None and
                    fold(inner, self.fold_env) in ("~", "~/")) or callee in (
                "pathlib.Path.home", "os.path.expanduser") and not arg.args
        if home:
            self.hit("python.destruction.delete", node, f"{name} on a home or system root: "
                     f"{self.snippet(self.line(node))}", strong=True)

    def _chmod(self, node: cst.Call) -> None:
        if len(node.args) < 2:
            return
        mode = node.args[1].value
        folded = fold(mode, self.fold_env)
        if (isinstance(folded, int) and folded & 0o111) or _EXEC_BITS.search(
                _dotted_names(mode)):
            self.chmods.append((self.line(node), self.scope, self.snippet(self.line(node))))
            self.hit("python.dropper.chmod-exec", node)

    def _sleep(self, node: cst.Call) -> None:
        if node.args:
            seconds = fold(node.args[0].value, self.fold_env)
            if isinstance(seconds, int) and seconds >= 30:
                self.hit("python.evasion.sleep", node, f"sleeps {seconds} s")

    def _open(self, node: cst.Call) -> None:
        if len(node.args) < 2:
            mode_arg = next((a.value for a in node.args if a.keyword and
                             a.keyword.value == "mode"), None)
        else:
            mode_arg = node.args[1].value
        mode = fold(mode_arg, self.fold_env) if mode_arg is not None else "r"
        if not isinstance(mode, str) or not any(c in mode for c in "wax"):
            return
        if node.args:
            self._write_path(node, node.args[0].value)
            if "b" in mode:
                self.binary_writes.append(self.writes[-1])

    def _copy(self, node: cst.Call) -> None:
        if len(node.args) >= 2:
            self._write_path(node, node.args[1].value)

    def _moved_into_autostart(self, node: cst.Call, path: cst.BaseExpression) -> None:
        """A file renamed into a Startup folder, cron or systemd directory runs at the next
        log-in like one written there. Renames elsewhere (``os.replace(tmp, final)`` after
        a download) are bookkeeping, not writes of new content: not recorded."""
        text = " ".join(_strings_in(path, self))
        if any(k.startswith("persistence:") for k in labels_in(text)) or any(
                k.startswith("persistence") for k in self.describe(path)):
            self.hit("python.persistence.autostart", node, f"moves a file to {text[:160]}",
                     strong=True)

    def _write_path(self, node: cst.Call, path: cst.BaseExpression) -> None:
        line = self.line(node)
        strings = _strings_in(path, self)
        text = " ".join(strings)
        described = self.describe(path)
        labels = labels_in(text) | {k for k in described if k.startswith("persistence")}
        self.writes.append((line, self.scope, text[:120] or self.snippet(line)))
        if any(s.rstrip().endswith(".pth") for s in strings) or "pthfile" in described:
            self.hit("python.persistence.pth-write", node, f"writes a .pth file: {text[:160]}")
        elif any(k.startswith("persistence:") for k in labels):
            self.hit("python.persistence.autostart", node, f"writes {text[:160]}", strong=True)
        elif _DROPPED_PROGRAM.search(text) and _USER_LOCATION.search(text):
            # A program or script written into the user's profile or a temp folder; at
            # install time that is a dropper (rules: severity by context).
            self.hit("python.dropper.program-write", node, f"writes {text[:160]}")


def _plain_params(params: cst.Parameters) -> tuple[str, ...] | None:
    """Names of positional parameters without defaults; None for anything fancier."""
    if params.star_arg is not cst.MaybeSentinel.DEFAULT and params.star_arg is not None or \
            params.kwonly_params or params.star_kwarg is not None or params.posonly_params:
        return None
    if any(p.default is not None for p in params.params) or not params.params:
        return None
    return tuple(p.name.value for p in params.params)


def _assign_and_return(body: cst.BaseSuite) -> tuple[tuple, cst.BaseExpression] | None:
    """(steps, result) of a body that only assigns names and ends in ``return EXPR``."""
    if not isinstance(body, cst.IndentedBlock) or len(body.body) > MAX_INLINE_STEPS:
        return None
    steps: list[tuple[str, cst.BaseExpression]] = []
    statements = list(body.body)
    for index, statement in enumerate(statements):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        small = statement.body[0]
        last = index == len(statements) - 1
        if last and isinstance(small, cst.Return) and small.value is not None:
            return tuple(steps), small.value
        if isinstance(small, cst.Expr) and index == 0 and isinstance(
                small.value, (cst.SimpleString, cst.ConcatenatedString)):
            continue  # docstring
        if not isinstance(small, cst.Assign) or len(small.targets) != 1 or \
                not isinstance(small.targets[0].target, cst.Name):
            return None
        steps.append((small.targets[0].target.value, small.value))
    return None


def _mostly_escapes(raw: str) -> bool:
    """A literal written almost entirely as \\x../\\ooo escapes (code hidden from grep)."""
    body = raw.strip("'\"bBrRuU")
    escapes = re.findall(r"\\(?:x[0-9a-fA-F]{2}|[0-7]{1,3})", body)
    return len(body) >= 8 and len(escapes) >= 3 and sum(map(len, escapes)) >= 0.7 * len(body)


def _strings_in(node: cst.BaseExpression, walker: Walker, depth: int = 0) -> list[str]:
    """Every foldable string inside a path expression (os.path.join(a, 'x.pth') ...)."""
    if depth > 12:
        return []
    value = fold(node, walker.fold_env)
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes):
        return [value.decode("latin-1")]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    out: list[str] = []
    if isinstance(node, (cst.List, cst.Tuple)):
        for element in node.elements:
            out += _strings_in(element.value, walker, depth + 1)
    elif isinstance(node, cst.Call):
        if isinstance(node.func, cst.Attribute):  # "...".format(x), decode(...).strip()
            out += _strings_in(node.func.value, walker, depth + 1)
        for arg in node.args:
            out += _strings_in(arg.value, walker, depth + 1)
    elif isinstance(node, cst.BinaryOperation):
        out += _strings_in(node.left, walker, depth + 1) + _strings_in(node.right, walker,
                                                                       depth + 1)
    elif isinstance(node, cst.FormattedString):
        out.append("".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText)))
    elif isinstance(node, cst.Name):
        labels = walker._lookup(walker.taint, node.value) or ()
        out += [lab for lab in labels if lab.startswith("persistence:")]
        assigned = walker._lookup(getattr(walker, "assigned", {}), node.value)
        if isinstance(assigned, cst.BaseExpression) and depth < 6:
            out += _strings_in(assigned, walker, depth + 3)  # what the variable was built from
    return out


def _command_parts(node: cst.BaseExpression, walker: Walker) -> list:
    if isinstance(node, (cst.List, cst.Tuple)):
        parts: list = []
        for element in node.elements:
            value = fold(element.value, walker.fold_env)
            if isinstance(value, str):
                parts.append(value)
            elif walker.qualname(element.value) == "sys.executable":
                parts.append("<sys.executable>")
            else:
                parts.append(None)
        return parts
    value = fold(node, walker.fold_env)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v if isinstance(v, str) else None for v in value]
    return [" ".join(_strings_in(node, walker))] if not isinstance(node, cst.Name) else [None]


_LOCAL_SUFFIXES = ("local", "lan", "internal", "localdomain", "localhost", "home", "intranet")


def _names_remote_domain(node: cst.BaseExpression, walker: Walker) -> bool:
    """Whether a host-name expression has a constant part naming a public domain; a bare
    variable holding gethostname(), or ``gethostname() + '.local'``, does not."""
    value = fold(node, walker.fold_env)
    for text in ([value] if isinstance(value, str) else _strings_in(node, walker)):
        labels = [p for p in text.strip(". ").lower().split(".") if p]
        if len(labels) >= 2 and labels[-1].isalpha() and labels[-1] not in _LOCAL_SUFFIXES:
            return True
    return False


_URL_HOST = re.compile(r"\b(?:https?|ftp)://\[?([^/:\s'\"\]]+)", re.IGNORECASE)


def _folds_to_constant(node: cst.BaseExpression, walker: Walker, depth: int = 0) -> bool:
    """Whether the innermost argument of a decode chain is a constant (possibly through a
    variable assigned one): ``loads(b64decode(BLOB))`` where ``BLOB = '...'``."""
    while isinstance(node, cst.Call) and depth < 12:
        if isinstance(node.func, cst.Attribute) and walker.qualname(node.func) is None:
            node = node.func.value  # data.decode(...), blob.encode(...): the receiver
        elif node.args:
            node = node.args[0].value
        else:
            break
        depth += 1
    if isinstance(node, cst.Name):
        assigned = walker._lookup(getattr(walker, "assigned", {}), node.value)
        if isinstance(assigned, cst.BaseExpression) and depth < 12:
            return _folds_to_constant(assigned, walker, depth + 1)
    return fold(node, walker.fold_env) is not None


# Checking downloaded bytes against a known digest: what build provisioning (bazelisk, SDK
# fetchers) does before it runs anything, and droppers have no reason to do.
_DIGESTS = frozenset({"hashlib.sha256", "hashlib.sha384", "hashlib.sha512", "hashlib.blake2b",
                      "hashlib.sha3_256", "hashlib.file_digest"})
_VERIFY_NAME = re.compile(r"(?:verify|check|validate)_?\w*(?:checksum|sha256|sha512|digest|hash)"
                          r"|(?:checksum|sha256|digest)\w*_?(?:verify|check|matches)",
                          re.IGNORECASE)


# ``wget URL`` of a source archive or data file, nothing chained after it: vendoring scripts
# fetch third-party sources this way. Anything else curl/wget fetch may be a program.
_FETCH_PROGRAM = re.compile(r"\s*(?:curl|wget)\s")
_SOURCE_OR_DATA_URL = re.compile(
    r"https?://\S+\.(?:tar\.gz|tgz|tar\.xz|tar\.bz2|zip|json|txt|csv|h|hpp|c|cc|cpp)"
    r"(?=[\s'\"]|$)", re.IGNORECASE)
_CHAINED_COMMAND = re.compile(r"[|;&`<>]|\$\(")


def _fetches_source_only(text: str, labels: set[str]) -> bool:
    """Whether a downloading command only saves a source archive or data file: it names
    nothing but curl/wget and such a URL, and no other indicator (paste site, raw IP,
    encoded PowerShell) came with it. Running what was fetched needs a second command, which
    the download-execute flow still sees."""
    other = {k for k in labels if not k.startswith("download:")}
    return bool(text) and not other and _FETCH_PROGRAM.match(text) is not None and \
        _CHAINED_COMMAND.search(text) is None and \
        all(_SOURCE_OR_DATA_URL.fullmatch(w) for w in text.split() if "://" in w) and \
        "://" in text


# Programs that run whatever file or code they are given, and names of files that run.
_LAUNCHERS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python2",
                        "python3", "pythonw", "py", "node", "nodejs", "deno", "bun", "perl",
                        "ruby", "php", "powershell", "pwsh", "cmd", "wscript", "cscript", "mshta",
                        "rundll32", "regsvr32", "msiexec", "java", "javaw", "osascript", "open",
                        "start", "env", "xdg-open", "nohup", "setsid", "sudo", "exec", "timeout",
                        "nice", "wine", "mono", "dotnet", "reg", "schtasks", "at", "crontab",
                        "curl", "wget", "certutil", "bitsadmin", "nc", "ncat", "socat"})
_RUNNABLE_NAME = re.compile(r"\.(?:py[cwz]?|exe|scr|bat|cmd|ps1|vbs|js|jar|msi|dll|sh|bin|elf|"
                            r"so|dylib|app)$|[/\\]tmp[/\\]|appdata|startup", re.IGNORECASE)


def fixed_command(argv) -> bool:
    """Whether ``argv`` (a folded command) is fixed text naming a system program by its bare
    name, run as such: every word a literal, the program no path and no interpreter or
    launcher that runs what it is given, no word naming a script or binary file, no shell
    syntax chaining or redirecting commands."""
    if isinstance(argv, str):
        if re.search(r"[|;&`<>]|\$\(", argv):
            return False
        argv = argv.split()
    if not isinstance(argv, list) or not argv or not all(isinstance(w, str) for w in argv):
        return False
    program = argv[0]
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*", program) or \
            re.sub(r"[\d.]+$", "", program.lower()) in _LAUNCHERS:
        return False
    return not any(_RUNNABLE_NAME.search(w) for w in argv)


_DNS_TOOLS = frozenset({"nslookup", "dig", "host"})
# A DNS tool where a command starts: the start, after a shell separator, after ``-c``/``/c``.
_DNS_COMMAND = re.compile(r"(?:^|[;|&`(\"']|\$\(|\s-c\s+|\s/c\s+)\s*(?:nslookup|dig|host)\s+\S",
                          re.IGNORECASE)
_RAW_IP_URL = next(i.pattern for i in INDICATORS if i.kind == "rawip")


def _quoted_in_text(value: str) -> bool:
    """Whether every raw-IP URL of a multi-line text sits in a line of other words."""
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    found = [line for line in lines if _RAW_IP_URL.search(line)]
    return len(lines) > 1 and bool(found) and all(len(line.split()) > 1 for line in found)


def _user_setting(node: cst.BaseExpression, walker: Walker) -> bool:
    """``os.environ['MAKE']``, ``os.environ.get('CXX')``, ``os.getenv('CC')``: a value the
    person installing chooses (configured tools), not one the package ships."""
    if isinstance(node, cst.Subscript):
        return walker.qualname(node.value) == "os.environ"
    return isinstance(node, cst.Call) and walker.qualname(node.func) in (
        "os.environ.get", "os.getenv") and len(node.args) == 1


def _unix_family(node: cst.Call, walker: Walker) -> bool:
    """``socket.socket(socket.AF_UNIX, ...)`` or ``family=AF_UNIX``."""
    family = next((a.value for a in node.args if a.keyword is not None and
                   a.keyword.value == "family"), None)
    if family is None and node.args and node.args[0].keyword is None:
        family = node.args[0].value
    return family is not None and (walker.qualname(family) or "").endswith("AF_UNIX")


def _loopback_only(text: str) -> bool:
    """Whether every URL in a command or address names this machine (a health check of a
    server the code just started is not a download)."""
    hosts = _URL_HOST.findall(text)
    return bool(hosts) and all(h.lower() in ("localhost", "0.0.0.0", "::1") or
                               h.startswith("127.") for h in hosts)


def _has_xor(node: cst.BaseExpression, depth: int = 0) -> bool:
    if depth > 6:
        return False
    if isinstance(node, cst.BinaryOperation):
        return isinstance(node.operator, cst.BitXor) or _has_xor(node.left, depth + 1) or \
            _has_xor(node.right, depth + 1)
    if isinstance(node, cst.Call):
        return any(_has_xor(a.value, depth + 1) for a in node.args)
    return False


def _divisions(node: cst.BaseExpression) -> list[cst.BinaryOperation]:
    out = []
    while isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
        out.append(node)
        node = node.left
    return out


def _path_join(node: cst.BinaryOperation, walker: Walker) -> str | None:
    """``Path.home() / '.aws' / 'credentials'`` as the path text it builds
    (``~/.aws/credentials``); None unless it joins at least two string parts."""
    parts = _divisions(node)
    if not parts:
        return None
    names: list[str] = []
    for division in reversed(parts):
        value = fold(division.right, walker.fold_env)
        if not isinstance(value, str):
            return None
        names.append(value.strip("/\\"))
    base = fold(parts[-1].left, walker.fold_env)
    head = base.rstrip("/\\") if isinstance(base, str) else "~"
    return "/".join([head, *names]) if len(names) >= 2 or isinstance(base, str) else None


def _both(left: list[str] | None, right: list[str] | None) -> list[str] | None:
    return None if left is None or right is None else left + right


_BUILD_SCRIPT = re.compile(r"(?:build|make|configure|autogen|bootstrap|compile)[\w.-]*"
                           r"\.(?:sh|bat|cmd)$")


# Binutils that post-process what the build produced (split debug info, index archives).
_BINUTILS = frozenset({"objcopy", "llvm-objcopy", "llvm-strip", "readelf", "ranlib",
                       "dsymutil", "codesign"})


def _is_build_tool(program: str) -> bool:
    return program in names.BUILD_TOOLS or program in _BINUTILS or \
        program.endswith(("configure", "-config", "_config")) or \
        bool(_BUILD_SCRIPT.fullmatch(program))


_SHELL_PYTHON_C = re.compile(r"\bpython[\d.]*(?:\.exe)?\s+-c\s+"
                             r"(?:\"((?:[^\"\\]|\\.)*)\"|'([^']*)')")


def _python_c(node, walker: Walker) -> str | None:
    """The code of ``[sys.executable, '-c', CODE]`` style commands, or of a shell string
    that runs ``python3 -c "CODE"``."""
    if not isinstance(node, (cst.List, cst.Tuple)):
        text = fold(node, walker.fold_env) if node is not None else None
        found = _SHELL_PYTHON_C.search(text) if isinstance(text, str) else None
        if found:
            code = found.group(1) if found.group(1) is not None else found.group(2)
            return code.replace('\\"', '"')
        return None
    elements = [e.value for e in node.elements]
    for i, element in enumerate(elements[:-1]):
        if fold(element, walker.fold_env) == "-c":
            head = elements[0]
            is_python = walker.qualname(head) == "sys.executable" or (
                isinstance(fold(head, walker.fold_env), str) and
                "python" in str(fold(head, walker.fold_env)).lower())
            code = fold(elements[i + 1], walker.fold_env)
            if is_python and isinstance(code, str):
                return code
    return None


def _port(node: cst.Call, walker: Walker) -> int | None:
    for arg in node.args:
        if isinstance(arg.value, cst.Tuple) and len(arg.value.elements) == 2:
            port = fold(arg.value.elements[1].value, walker.fold_env)
            if isinstance(port, int):
                return port
    return None


def _dotted_names(node: cst.CSTNode, depth: int = 0) -> str:
    """A rough rendering of names in an expression (flag constants, DEVNULL...)."""
    if depth > 20:
        return ""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted_names(node.value, depth + 1)}.{node.attr.value}"
    if isinstance(node, cst.BinaryOperation):
        return f"{_dotted_names(node.left, depth + 1)} {_dotted_names(node.right, depth + 1)}"
    if isinstance(node, cst.Call):
        return _dotted_names(node.func, depth + 1)
    return ""
