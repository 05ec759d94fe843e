"""C08: no server logging call is handed a frame, a payload, key material or an address.

Scope: every server module (``tests.claims.support.source``) and the protocol
package both sides share (``atopos_protocol``), since its frame parsing runs
inside the relay.

A *logging call* is ``<logger>.<level>(...)`` where the receiver is named
``logging`` or ``log``, ends in ``logger`` or ``_log`` (``logger``,
``self.logger``, ``access_log``) or is ``logging.getLogger(...)``, and the
level is one of ``LEVELS``; ``print``/``pprint``; ``warnings.warn``/``warn``;
and ``write``/``writelines`` on a ``stdout``, ``stderr`` or ``stream``
attribute (``sys.stderr.write``, a management command's ``self.stdout.write``,
an access log's ``self.stream.write``).

Every argument of such a call (positional, keyword, inside f-strings and
``%`` formatting) is walked, and these references are flagged:

* a name or attribute whose snake/Camel-case words include one of
  ``PAYLOAD_WORDS`` (``bytes_data`` and ``text_data``, the consumer's incoming
  frames, match ``data``; ``msg_key`` matches ``key``; ``settings.SECRET_KEY``
  matches ``secret``), or that is one of ``IDENTIFYING_NAMES`` (room ids,
  member keys, the client address);
* a subscript or ``.get()`` with such a literal key (``message["data"]``,
  ``scope["client"]``);
* ``locals()``, ``vars()``, ``globals()`` and ``__dict__``, which dump all of
  the above at once.

The rule reads each call, not data flow: a payload first copied into a
variable with an innocent name escapes it; a reviewer reads the names.

Decision on uses that reveal no content: the only exemption is ``len(x)`` --
a frame's size is already visible to anyone on the network. Anything else
that touches a payload variable is flagged, *including* an attribute such as
``frame.kind``: a reviewer cannot tell from the call which attributes are
harmless, and logging a separate ``kind`` variable costs nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.source import (
    Source,
    Unreadable,
    constant_string,
    dotted,
    parse_all,
    server_files,
    shared_files,
    terminal_name,
    tokens,
)

LEVELS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)
PRINTERS = frozenset({"print", "pprint", "warn"})
STREAMS = frozenset({"stdout", "stderr", "stream", "__stdout__", "__stderr__"})
WRITES = frozenset({"write", "writelines"})
DUMPS = frozenset({"locals", "vars", "globals"})

# Words (of a snake_case or CamelCase name) that denote frames, payloads or key material.
PAYLOAD_WORDS = frozenset(
    {
        # what crosses the socket: the consumer's bytes_data/text_data, frames, events
        "data", "frame", "frames", "payload", "payloads", "body", "raw",
        "envelope", "envelopes", "event", "events", "genesis",
        # message contents
        "ciphertext", "plaintext", "cleartext",
        # key material and what proves or derives it
        "shard", "shards", "secret", "secrets", "key", "keys", "seed", "challenge",
        "capability", "proof", "signature", "ticket", "token", "passphrase",
        "fragment", "link",
        # client addresses
        "address", "addr", "ip",
    }
)  # fmt: skip
# Whole names that identify a room, a member or a client.
IDENTIFYING_NAMES = frozenset(
    {"room_id", "room_ids", "rid", "ed_pk", "x_pk", "auth_pk", "ticket_pk", "member", "members"}
    | {"newcomer", "channel", "client", "remote_addr"}
)


def forbidden_name(name: str) -> bool:
    """Whether a variable, attribute or key called ``name`` may hold a payload or secret."""
    return name.lower() in IDENTIFYING_NAMES or not PAYLOAD_WORDS.isdisjoint(tokens(name))


def _is_logger(receiver: ast.expr) -> bool:
    if isinstance(receiver, ast.Call):
        return (dotted(receiver.func) or "").endswith("getLogger")
    name = (terminal_name(receiver) or "").lower()
    return name in {"logging", "log"} or name.endswith(("logger", "_log"))


def logging_callee(call: ast.Call) -> str | None:
    """How a logging call is written (``logger.info``), or None if ``call`` does not log."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id if func.id in PRINTERS else None
    if not isinstance(func, ast.Attribute):
        return None
    receiver = func.value
    logs = (
        (func.attr in LEVELS and _is_logger(receiver))
        or (func.attr == "warn" and terminal_name(receiver) == "warnings")
        or (func.attr in WRITES and terminal_name(receiver) in STREAMS)
    )
    if not logs:
        return None
    return dotted(func) or f"{terminal_name(receiver) or '(...)'}.{func.attr}"


def _is_len(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _walk_arguments(call: ast.Call) -> Iterator[ast.AST]:
    """Every node inside the call's arguments, except what is inside ``len(...)``."""
    pending: list[ast.AST] = [*call.args, *(keyword.value for keyword in call.keywords)]
    while pending:
        node = pending.pop()
        if _is_len(node):
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _literal_key(node: ast.AST) -> str | None:
    """``k`` of ``x["k"]`` or ``x.get("k")``."""
    if isinstance(node, ast.Subscript):
        return constant_string(node.slice)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
        return constant_string(node.args[0]) if node.func.attr == "get" else None
    return None


def forbidden_reference(node: ast.AST) -> str | None:
    """What a node hands the logger that it must not (a name, a key, a dump), else None."""
    if isinstance(node, ast.Name) and forbidden_name(node.id):
        return node.id
    if isinstance(node, ast.Attribute) and (node.attr == "__dict__" or forbidden_name(node.attr)):
        return dotted(node) or node.attr
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in DUMPS:
        return f"{node.func.id}()"
    key = _literal_key(node)
    if key is not None and forbidden_name(key):
        return f"[{key!r}]"
    return None


@dataclass
class _Scan:
    calls: int = 0
    violations: list[str] = field(default_factory=list)


def scan_module(source: Source, scan: _Scan) -> None:
    """Add every logging call of one module, and what it must not log, to ``scan``."""
    for node in ast.walk(source.tree):
        if not isinstance(node, ast.Call):
            continue
        callee = logging_callee(node)
        if callee is None:
            continue
        scan.calls += 1
        for argument in _walk_arguments(node):
            reference = forbidden_reference(argument)
            if reference is not None:
                scan.violations.append(f"{source.at(argument)} {callee} logs {reference}")


def run(ctx: Context) -> CheckResult:
    """Scan server and shared protocol modules; ERROR if there are none or one does not parse."""
    try:
        files = server_files(ctx.root) + shared_files(ctx.root)
        if not files:
            return could_not_run("no server module found under the project root")
        sources = parse_all(ctx.root, files)
    except Unreadable as error:
        return could_not_run(str(error))
    scan = _Scan()
    for source in sources:
        scan_module(source, scan)
    counts = {
        "modules_scanned": len(sources),
        "logging_calls": scan.calls,
        "violations": len(set(scan.violations)),
    }
    return judged(
        scan.violations,
        counts,
        f"none of {scan.calls} logging calls in {len(sources)} server modules "
        "is handed a payload, secret or address",
        "server code logs frame payloads, secrets or addresses",
        {
            "payload_words": sorted(PAYLOAD_WORDS),
            "identifying_names": sorted(IDENTIFYING_NAMES),
            "exempt": ["len(...)"],
        },
    )


pytestmark = pytest.mark.check(
    "No server logging call is handed a payload, a secret or an address", "static"
)


def test_no_payload_logging(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
