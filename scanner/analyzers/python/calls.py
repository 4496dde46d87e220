"""Call and string handlers: where capabilities, flows and payloads are recognised."""

from __future__ import annotations

import re

import libcst as cst

from . import decoders, names
from .fold import fold
from .indicators import labels_in
from .walker import Walker

_OBFUSCATOR_RUNTIME = re.compile(r"pyarmor|pytransform")
_CALLBACK_RUNNERS = names.THREAD | names.ATEXIT | {"builtins.map", "builtins.filter"}
_EXEC_BITS = re.compile(r"\bS_IX(?:USR|GRP|OTH)\b|\bS_IEXEC\b")
_DETACH_FLAGS = ("DETACHED_PROCESS", "CREATE_NO_WINDOW", "CREATE_NEW_PROCESS_GROUP",
                 "CREATE_BREAKAWAY_FROM_JOB")
_SINK_METHODS = frozenset({"post", "put", "send", "sendall", "sendto", "send_message",
                           "sendMessage", "execute", "urlopen", "request", "upload",
                           "send_document", "sendDocument"})
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


class CallWalker(Walker):
    """The walker plus everything that turns calls and strings into hits."""

    # ----- strings -----------------------------------------------------------------------
    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) in self.docstrings:
            return
        try:
            value = node.evaluated_value
        except Exception:
            return
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        self._string(node, value)
        if len(value) >= 128 and id(node) not in self.consumed:
            self._blob(node, value)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        text = "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
        self._string(node, text)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        value = fold(node, self.fold_env)
        if isinstance(value, str):
            self._string(node, value)

    def on_folded_string(self, node: cst.CSTNode, value: str) -> None:
        self._string(node, value)

    def _string(self, node: cst.CSTNode, value: str) -> None:
        labels = labels_in(value)
        self.module_labels |= labels
        for label in labels:
            kind, _, detail = label.partition(":")
            rule = STRING_RULES.get(kind)
            if rule is None:
                continue
            strong = (kind == "secret" and detail in STEALER_SECRETS) or kind == "catcher"
            if kind == "secret":
                self.sources.append(("secret", self.line(node), self.scope, detail))
            if kind == "fingerprint":
                self.sources.append(("fingerprint", self.line(node), self.scope, detail))
            self.hit(rule, node, f"{detail}: {value[:160]}", strong=strong)

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
        elif name in names.ATEXIT:
            self.hit("python.install.hook", node, "atexit.register: runs when the process exits")
        elif name == "os.dup2":
            self.sources.append(("dup2", self.line(node), self.scope, "dup2"))
        elif name in ("builtins.open", "io.open", "codecs.open"):
            self._open(node)
        elif name in ("builtins.dict", "json.dumps", "builtins.str", "builtins.repr") and \
                node.args and self.qualname(node.args[0].value) == "os.environ":
            self.sources.append(("secret", self.line(node), self.scope, "environment"))
            self.hit("python.secrets.environment", node)
        elif name in ("shutil.copy", "shutil.copyfile", "shutil.copy2", "shutil.move"):
            self._copy(node)
        elif name.startswith("builtins.") and name[9:] in ("setattr",):
            pass
        else:
            self._method(node)

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
            labels = frozenset()
            for arg in node.args:
                labels |= self.describe(arg.value)
            self._flows(node, labels, f".{method}()")
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
        if chain or isinstance(arg, (cst.SimpleString, cst.ConcatenatedString)):
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
        program = _program(parts)
        known_tool = program in names.BUILD_TOOLS
        evidence = f"{name}: {text[:160]}" if text else f"{name}: {self.snippet(line)}"
        if self.hidden_route(node.func):
            self.hit("python.obfuscation.hidden-builtin", node,
                     f"{name} reached through a string lookup", strong=True)
        if not known_tool:  # build tools (cmake, git, compilers) are what setup.py runs
            self.hit("python.process.spawn", node, evidence, strong=True)
        download = labels & {"download:shell-download", "evalshell:powershell-encoded"} or any(
            k.startswith(("paste:", "catcher:", "messenger:", "rawip:", "tunnel:"))
            for k in labels) or (
            "network:download" in labels)
        if download:
            self.downloads.append((line, self.scope, text[:120] or name))
            self.hit("python.process.shell-download", node, evidence, strong=True)
        if "dnscmd:dns-command" in labels and not known_tool:
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
            self.hit("python.process.detached", node, evidence, strong=not known_tool)
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
        labels: frozenset = frozenset()
        for index, arg in enumerate(node.args):
            described = self.describe(arg.value)
            if index == 0 and not arg.keyword:
                # The URL itself naming the metadata service is a read, not an upload.
                described = described - {"secret:cloud-metadata"}
            labels |= described
        self.mark_network_in_try()
        if name in names.DNS:
            constant = node.args and fold(node.args[0].value, self.fold_env) is not None
            if not constant:
                self.hit("python.network.dns", node, f"{name} on a computed host name: "
                         f"{self.snippet(line)}", strong=bool(
                             {k for k in labels if k.startswith(("secret:", "fingerprint:"))}))
            self.sinks.append((line, self.scope, name))
            self._flows(node, labels, name)
            return
        rule = "python.network.socket" if name in names.SOCKET else "python.network.http"
        self.hit(rule, node, f"{name}: {self.snippet(line)}")
        self.sinks.append((line, self.scope, name))
        if name in names.DOWNLOAD:
            self.downloads.append((line, self.scope, name))
        if name in names.SOCKET:
            self.sources.append(("socket", line, self.scope, name))
        self._flows(node, labels, name)

    def _flows(self, node: cst.Call, labels: frozenset, sink: str) -> None:
        line = self.line(node)
        secrets = sorted(k.split(":", 1)[1] for k in labels if k.startswith("secret:"))
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

    def _copy(self, node: cst.Call) -> None:
        if len(node.args) >= 2:
            self._write_path(node, node.args[1].value)

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
    out: list[str] = []
    if isinstance(node, cst.Call):
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


def _program(parts: list) -> str | None:
    if not parts or not isinstance(parts[0], str):
        return None
    first = parts[0].strip().split()
    if not first:
        return None
    program = re.split(r"[/\\]", first[0])[-1].lower()
    return program[:-4] if program.endswith(".exe") else program


def _python_c(node, walker: Walker) -> str | None:
    """The code of ``[sys.executable, '-c', CODE]`` style commands."""
    if not isinstance(node, (cst.List, cst.Tuple)):
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
