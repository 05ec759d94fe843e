"""C02, C03: no server module reaches the client's shard combiner or decryption.

The server holds the server shard V and relays ciphertext; combining V with
the link shard into the room secret S, deriving epoch keys from S, and
opening envelopes are client work (docs/PROTOCOL.md §2, §4). This check reads
every server module (``evidence.checks._source``) as a syntax tree and flags
any reference to a name in ``CLIENT_ONLY``:

* ``import x`` / ``import x as y`` of a client-only module;
* ``from x import name`` (relative imports resolved) where ``x`` or
  ``x.name`` is client-only, and ``from x import *`` of a module that holds
  client-only names;
* an attribute chain through an imported module, e.g. ``keys.room_secret``
  after ``from rooms.protocol import keys``, or ``Label.SECRET`` after
  ``from rooms.protocol.labels import Label`` (the derivation labels of the
  room secret and the epoch keys);
* ``importlib.import_module`` / ``__import__`` / ``import_string`` of a
  literal client-only name.

What the server legitimately imports from the same modules stays allowed:
``rooms.protocol.keys.room_id_for`` (the server checks that a room id is the
hash of the auth key that signs for it) and the server's own labels
(``SERVER``, ``TOMB``...).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from evidence.check import Check, CheckResult, Kind, could_not_run, judged
from evidence.checks._source import (
    Source,
    Unreadable,
    absolute_module,
    constant_string,
    dotted,
    parse_all,
    server_files,
)
from evidence.context import Context

_KEYS = "rooms.protocol.keys"
_LABEL = "rooms.protocol.labels.Label"
_AEAD = "nacl.bindings.crypto_aead_"

# Dotted name -> why only a client may use it. A name matches itself and anything under it.
CLIENT_ONLY: dict[str, str] = {
    "rooms.client": "the Python client",
    "rooms.protocol.envelope": "seals and opens envelopes",
    "rooms.protocol.verification": "checks a genesis against the link keys",
    "governance.rekey": "opens re-key and key-share entries with a member's secret",
    f"{_KEYS}.room_secret": "the shard combiner: S from L and V",
    f"{_KEYS}.derive_link_keys": "derives the room's keys from the link shard",
    f"{_KEYS}.LinkKeys": "the link shard and what derives from it",
    f"{_KEYS}.first_epoch": "epoch 0 from the room secret",
    f"{_KEYS}.EpochKeys": "epoch key derivation (message, confirm, bind keys)",
    f"{_KEYS}.MemberKeys": "a member's private keys",
    "rooms.protocol.link.Link": "parses the link fragment",
    "rooms.protocol.link.split_link_url": "parses a full room link",
    "governance.tickets.ticket_key": "derives a ticket key from the invite secret",
    "governance.tickets.sign_redeem": "signs with the invite secret",
    **{
        f"{_LABEL}.{label}": "a label that derives client key material"
        for label in (
            "RID", "AUTH", "VCOMMIT", "PWSALT", "SECRET", "EPOCH0", "MSG",
            "CONFIRM", "BIND", "BINDTAG", "KCV", "EPOCH", "REKEY", "KEYSHARE",
        )
    },
    f"{_AEAD}xchacha20poly1305_ietf_decrypt": "envelope decryption",
    f"{_AEAD}chacha20poly1305_ietf_decrypt": "AEAD decryption",
    f"{_AEAD}chacha20poly1305_decrypt": "AEAD decryption",
    "nacl.bindings.crypto_secretbox_open": "secret-box decryption",
    "nacl.bindings.crypto_box_open": "public-key box decryption",
    "nacl.bindings.crypto_box_seal_open": "sealed-box decryption",
    "nacl.bindings.crypto_scalarmult": "X25519 agreement, used to open re-keys",
    "nacl.secret": "secret-box encryption and decryption",
    "nacl.public.Box": "public-key box decryption",
    "nacl.public.SealedBox": "sealed-box decryption",
}  # fmt: skip

DYNAMIC_IMPORTS = frozenset(
    {"importlib.import_module", "__import__", "django.utils.module_loading.import_string"}
)


def client_only(name: str) -> str | None:
    """The CLIENT_ONLY entry ``name`` is, or lies under; None if the server may use it."""
    for entry in CLIENT_ONLY:
        if name == entry or name.startswith(entry + "."):
            return entry
    return None


def _star_brings_client_only(module: str) -> bool:
    """Whether ``from module import *`` binds a client-only name."""
    prefix = module + "."
    return any(e.startswith(prefix) and "." not in e[len(prefix) :] for e in CLIENT_ONLY)


@dataclass
class _Scan:
    """What one module imports and references."""

    source: Source
    aliases: dict[str, str] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    imports: int = 0
    references: int = 0

    def flag(self, node: ast.AST, verb: str, name: str) -> None:
        self.violations.append(f"{self.source.at(node)} {verb} {name}")

    def imported(self, node: ast.AST, name: str) -> None:
        """Count one imported name; flag it if it is client-only."""
        self.imports += 1
        if client_only(name) is not None:
            self.flag(node, "imports", name)


def _read_imports(scan: _Scan) -> None:
    """Flag client-only imports and remember what each bound name stands for."""
    for node in ast.walk(scan.source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                scan.imported(node, alias.name)
                bound = alias.asname or alias.name.partition(".")[0]
                scan.aliases[bound] = alias.name if alias.asname else bound
        elif isinstance(node, ast.ImportFrom):
            module = absolute_module(scan.source, node)
            for alias in node.names:
                if alias.name == "*":
                    scan.imports += 1
                    if client_only(module) or _star_brings_client_only(module):
                        scan.flag(node, "imports", f"{module}.*")
                    continue
                scan.imported(node, f"{module}.{alias.name}")
                scan.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"


def _resolve(scan: _Scan, chain: str) -> str:
    """``chain`` with its first name replaced by what the import bound it to."""
    head, _, rest = chain.partition(".")
    target = scan.aliases.get(head, head)
    return f"{target}.{rest}" if rest else target


def _read_references(scan: _Scan) -> None:
    """Flag attribute chains through an imported name, and literal dynamic imports."""
    inner: set[int] = set()  # ast.walk visits a whole chain before the chains inside it
    for node in ast.walk(scan.source.tree):
        if isinstance(node, ast.Attribute):
            inner.add(id(node.value))
            if id(node) not in inner:
                _check_chain(scan, node)
        elif isinstance(node, ast.Call):
            _check_dynamic_import(scan, node)


def _check_chain(scan: _Scan, node: ast.Attribute) -> None:
    chain = dotted(node)
    if chain is None or chain.partition(".")[0] not in scan.aliases:
        return
    root_target = scan.aliases[chain.partition(".")[0]]
    if client_only(root_target):
        return  # the import itself was flagged
    scan.references += 1
    entry = client_only(_resolve(scan, chain))
    if entry is not None:
        scan.flag(node, "uses", entry)


def _check_dynamic_import(scan: _Scan, node: ast.Call) -> None:
    callee = dotted(node.func)
    if callee is None or _resolve(scan, callee) not in DYNAMIC_IMPORTS or not node.args:
        return
    name = constant_string(node.args[0])
    if name is not None:
        scan.imported(node, name)


def scan_module(source: Source) -> _Scan:
    """Every client-only import and reference in one module."""
    scan = _Scan(source)
    _read_imports(scan)
    _read_references(scan)
    return scan


def run(ctx: Context) -> CheckResult:
    """Scan every server module; ERROR if none is found or one does not parse."""
    files = server_files(ctx.root)
    if not files:
        return could_not_run("no server module found under the project root")
    try:
        sources = parse_all(ctx.root, files)
    except Unreadable as error:
        return could_not_run(str(error))
    scans = [scan_module(source) for source in sources]
    violations = [v for scan in scans for v in scan.violations]
    counts = {
        "modules_scanned": len(scans),
        "imports_inspected": sum(scan.imports for scan in scans),
        "references_inspected": sum(scan.references for scan in scans),
        "violations": len(set(violations)),
    }
    return judged(
        violations,
        counts,
        f"none of {len(scans)} server modules imports client-side shard combination or decryption",
        "server code imports client-side shard combination or decryption",
        {"client_only": sorted(CLIENT_ONLY), "modules": [s.source.relative for s in scans]},
    )


CHECK = Check(
    id="server_imports_no_client_crypto",
    title="No server module imports the client's shard combiner or decryption",
    kind=Kind.STATIC,
    run=run,
)
