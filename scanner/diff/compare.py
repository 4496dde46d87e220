"""Two releases side by side: which files, entry points, metadata and behaviours changed.

Behaviour is compared per file, by (rule, context), never by line number: a finding whose rule
and context already occurred in the same file of the old release is old behaviour even when
the lines moved. A file whose content is byte-identical to a file of the old release under
another name counts as renamed, and its findings are compared with the old name's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Context, Finding, ScanResult
from .inventory import FileEntry, Inventory

# When the code takes effect, earliest (and most weighty for a hijack) first.
CONTEXT_ORDER = (Context.STARTUP, Context.INSTALL, Context.IMPORT, Context.RUNTIME,
                 Context.CONTAINER, Context.DATA)
# Findings that describe the scan rather than the artifact's behaviour.
_NOT_BEHAVIOUR_PREFIXES = ("score.", "policy.", "diff.")

BehaviourKey = tuple[str | None, str, str]  # (normalized path, rule, context)


@dataclass(frozen=True)
class BehaviourGroup:
    """The findings of one file and context that the old release did not have.

    path: the member path in the new release; key: its normalized path; file_status: whether
    the file itself is added, renamed, changed or unchanged (a file can gain behaviour without
    changing, when a new .pth starts it at interpreter start-up).
    """

    path: str | None
    key: str | None
    context: Context
    findings: tuple[Finding, ...]
    file_status: str

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule for f in self.findings))


@dataclass(frozen=True)
class Comparison:
    """What changed from ``old`` to ``new``. Lists are sorted by normalized path."""

    old: Inventory
    new: Inventory
    added: tuple[FileEntry, ...]
    removed: tuple[FileEntry, ...]
    changed: tuple[tuple[FileEntry, FileEntry], ...]
    renamed: tuple[tuple[FileEntry, FileEntry], ...]
    unchanged: int
    new_top_level: tuple[str, ...]
    removed_top_level: tuple[str, ...]
    new_pth: tuple[FileEntry, ...]  # where site.py reads them (Inventory.runs_at_startup)
    changed_pth: tuple[FileEntry, ...]  # .pth files that gained executable lines
    new_binaries: tuple[FileEntry, ...]
    new_assets: tuple[FileEntry, ...]
    entry_points_added: tuple[tuple[str, str, str], ...]
    entry_points_removed: tuple[tuple[str, str, str], ...]
    entry_points_changed: tuple[tuple[str, str, str, str], ...]  # group, name, old, new
    requires_added: tuple[str, ...]
    requires_removed: tuple[str, ...]
    urls_added: tuple[str, ...]
    urls_removed: tuple[str, ...]
    authors_added: tuple[str, ...]
    authors_removed: tuple[str, ...]
    new_behaviour: tuple[BehaviourGroup, ...]
    gone_behaviour: tuple[BehaviourKey, ...]

    @property
    def new_files(self) -> tuple[str, ...]:
        """Member paths (in the new release) of every file that gained behaviour or is a new
        .pth, binary or asset: what a reviewer should open first."""
        paths = [g.path for g in self.new_behaviour if g.path]
        paths += [e.path for e in (*self.new_pth, *self.changed_pth, *self.new_binaries,
                                   *self.new_assets)]
        return tuple(dict.fromkeys(p.split("::", 1)[0] for p in paths))


def compare(old: Inventory, new: Inventory, old_result: ScanResult | None,
            new_result: ScanResult | None) -> Comparison:
    """Compare two inventories and, when both scans are given, their findings."""
    added_keys = sorted(new.files.keys() - old.files.keys())
    removed_keys = sorted(old.files.keys() - new.files.keys())
    renamed, renamed_to = _renames(old, new, added_keys, removed_keys)
    added = tuple(new.files[k] for k in added_keys if k not in renamed_to)
    removed = tuple(old.files[k] for k in removed_keys
                    if k not in {o.key for o, _n in renamed})
    both = sorted(old.files.keys() & new.files.keys())
    changed = tuple((old.files[k], new.files[k]) for k in both
                    if old.files[k].sha256 != new.files[k].sha256)
    unchanged = len(both) - len(changed)
    changed_pth = tuple(n for _o, n in changed if new.runs_at_startup(n)
                        and set(new.pth_lines.get(n.key, ())) - set(old.pth_lines.get(n.key, ())))
    old_eps, new_eps = _entry_points(old), _entry_points(new)
    groups, gone = (), ()
    if old_result is not None and new_result is not None:
        groups, gone = _behaviour(old, new, old_result.findings, new_result.findings,
                                  renamed_to, {e.key for e in added})
    return Comparison(
        old=old, new=new, added=added, removed=removed, changed=changed,
        renamed=tuple(renamed), unchanged=unchanged,
        new_top_level=tuple(sorted(new.top_level - old.top_level)),
        removed_top_level=tuple(sorted(old.top_level - new.top_level)),
        new_pth=tuple(e for e in added if new.runs_at_startup(e)), changed_pth=changed_pth,
        new_binaries=_new_binaries(old, added),
        new_assets=tuple(e for e in added if e.is_asset),
        entry_points_added=tuple((g, n, new_eps[g, n]) for g, n in sorted(new_eps.keys()
                                                                          - old_eps.keys())),
        entry_points_removed=tuple((g, n, old_eps[g, n]) for g, n in sorted(old_eps.keys()
                                                                            - new_eps.keys())),
        entry_points_changed=tuple((g, n, old_eps[g, n], new_eps[g, n])
                                   for g, n in sorted(old_eps.keys() & new_eps.keys())
                                   if old_eps[g, n] != new_eps[g, n]),
        requires_added=_only_in(new.metadata.requires, old.metadata.requires),
        requires_removed=_only_in(old.metadata.requires, new.metadata.requires),
        urls_added=_only_in(new.urls, old.urls), urls_removed=_only_in(old.urls, new.urls),
        authors_added=_only_in(new.authors, old.authors),
        authors_removed=_only_in(old.authors, new.authors),
        new_behaviour=groups, gone_behaviour=gone,
    )


def _renames(old: Inventory, new: Inventory, added_keys: list[str],
             removed_keys: list[str]) -> tuple[list[tuple[FileEntry, FileEntry]], dict[str, str]]:
    """Added files byte-identical to a removed file: (old, new) pairs and new key -> old key."""
    by_digest: dict[str, FileEntry] = {}
    for key in removed_keys:
        entry = old.files[key]
        if entry.sha256 and entry.size:  # empty files (__init__.py) are identical to each other
            by_digest.setdefault(entry.sha256, entry)
    pairs, renamed_to = [], {}
    for key in added_keys:
        entry = new.files[key]
        previous = by_digest.pop(entry.sha256, None) if entry.sha256 else None
        if previous is not None:
            pairs.append((previous, entry))
            renamed_to[key] = previous.key
    return pairs, renamed_to


def _binary_stem(key: str) -> str:
    """``pkg/_speedups.cpython-311-x86_64-linux-gnu.so`` -> ``pkg/_speedups``: the same
    extension module built for another interpreter is not a new binary."""
    folder, _, name = key.rpartition("/")
    return f"{folder}/{name.split('.', 1)[0]}"


def _new_binaries(old: Inventory, added: tuple[FileEntry, ...]) -> tuple[FileEntry, ...]:
    known = {_binary_stem(e.key) for e in old.files.values() if e.is_binary}
    return tuple(e for e in added if e.is_binary and _binary_stem(e.key) not in known)


def _entry_points(inventory: Inventory) -> dict[tuple[str, str], str]:
    return {(group, name): value for group, name, value in inventory.metadata.entry_points}


def _only_in(these: Iterable[str], others: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(these) - set(others)))


def behaviour_key(inventory: Inventory, finding: Finding,
                  renamed_to: dict[str, str] | None = None) -> BehaviourKey:
    key = inventory.normalize(finding.path)
    if key is not None and renamed_to:
        base, sep, rest = key.partition("::")
        key = renamed_to.get(base, base) + sep + rest
    return key, finding.rule, str(finding.context)


def is_behaviour(finding: Finding) -> bool:
    return not finding.rule.startswith(_NOT_BEHAVIOUR_PREFIXES)


def _behaviour(old: Inventory, new: Inventory, old_findings: Iterable[Finding],
               new_findings: Iterable[Finding], renamed_to: dict[str, str],
               added_keys: set[str]) -> tuple[tuple[BehaviourGroup, ...], tuple[BehaviourKey, ...]]:
    old_keys = {behaviour_key(old, f) for f in old_findings if is_behaviour(f)}
    new_keys: set[BehaviourKey] = set()
    grouped: dict[tuple[str | None, Context], list[Finding]] = {}
    for f in new_findings:
        if not is_behaviour(f):
            continue
        key = behaviour_key(new, f, renamed_to)
        new_keys.add(key)
        if key not in old_keys:
            origin = f.path.split("::", 1)[0] if f.path else None
            grouped.setdefault((origin, f.context), []).append(f)
    groups = []
    for (origin, context), findings in grouped.items():
        norm = new.normalize(origin)
        status = ("added" if norm in added_keys else "renamed" if norm in renamed_to
                  else "changed" if norm in new.files and norm in old.files
                  and new.files[norm].sha256 != old.files[norm].sha256
                  else "unchanged" if norm in old.files else "-")
        groups.append(BehaviourGroup(origin, norm, context, tuple(findings), status))
    groups.sort(key=lambda g: (CONTEXT_ORDER.index(g.context), g.key or ""))
    return tuple(groups), tuple(sorted(old_keys - new_keys, key=lambda k: (k[0] or "", k[1:])))
