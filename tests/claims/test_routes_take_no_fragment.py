"""C01: no route or view of ours can take the link fragment from a request.

Browsers never send the fragment, so the only way the server could learn it
is a route or a view built to receive it. Two rules, over every server module
(``tests.claims.support.source``: the site's, the rooms' WebSocket routing and the
evidence app's URL configurations, and all their views and consumers):

1. *Routes.* Every ``path()`` / ``re_path()`` call (imported from
   ``django.urls``) has its pattern evaluated: literals, ``+``, f-strings,
   ``.strip()``-like calls, and module-level string constants of the project
   (``ROOM_SOCKET_PATH``). A path converter ``<conv:name>`` or a named regex
   group ``(?P<name>...)`` whose words meet ``FRAGMENT_WORDS`` is flagged;
   so is an unnamed capturing group, whose value reaches the view unnamed and
   cannot be judged. A pattern part that is not a constant (the admin path
   from the environment) cannot hold a parameter the code chose; such
   patterns are counted in ``routes_partly_unresolved``.
2. *Request input.* Public views and consumers take nothing from a request
   but headers (Host, Origin) and the connection's address: any read of the
   query string, the body, form data, uploaded files or cookies is flagged,
   whatever the name -- ``.GET``, ``.POST``, ``.FILES``, ``.COOKIES`` on
   anything; ``.body``, ``.data``, ``.query_params``, ``.read()``,
   ``.readline(s)()``, ``.get_full_path()`` and an argument-less
   ``.build_absolute_uri()`` on a request; ``META["QUERY_STRING"]``; and
   ``scope["query_string"]`` or ``scope["url_route"]`` in a consumer. A
   header read (``headers[...]``, ``META[...]``, or ``.get()`` on them) is
   flagged when the header's name has a word in ``FRAGMENT_WORDS``
   (``X-Room-Link``). A new view that needs a parameter must change this
   rule, in review.

The rules read code, not data flow: they judge what a route declares and
which request attributes the code touches.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.source import (
    Source,
    Unreadable,
    absolute_module,
    constant_string,
    dotted,
    parse,
    parse_all,
    server_files,
    terminal_name,
    tokens,
)

FRAGMENT_WORDS = frozenset(
    {"fragment", "frag", "link", "key", "keys", "shard", "secret", "token", "hash", "ticket"}
    | {"seed", "capability", "cap", "passphrase", "proof", "invite"}
)
ROUTE_FUNCTIONS = frozenset({"path", "re_path"})
ANY_RECEIVER_INPUTS = frozenset({"GET", "POST", "FILES", "COOKIES"})
REQUEST_INPUTS = frozenset(
    {"body", "data", "query_params", "read", "readline", "readlines", "get_full_path"}
    | {"get_full_path_info"}
)
SCOPE_INPUTS = frozenset({"query_string", "url_route"})
STRING_METHODS = frozenset({"strip", "lstrip", "rstrip", "removeprefix", "removesuffix"})
_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


@dataclass
class _Pattern:
    """A route pattern as far as it could be evaluated."""

    text: str
    complete: bool


@dataclass
class _Scan:
    root: Path
    constants: dict[str, dict[str, ast.expr]] = field(default_factory=dict)
    url_modules: int = 0
    routes: int = 0
    parameters: int = 0
    unresolved: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def _module_constants(scan: _Scan, module: str) -> dict[str, ast.expr]:
    """Top-level ``NAME = <expr>`` assignments of a project module (empty if not in the tree)."""
    if module not in scan.constants:
        scan.constants[module] = _read_constants(scan.root, module)
    return scan.constants[module]


def _read_constants(root: Path, module: str) -> dict[str, ast.expr]:
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return {}
    try:
        tree = parse(root, path).tree
    except Unreadable:
        return {}
    found: dict[str, ast.expr] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = statement.value
    return found


class _Evaluator:
    """Evaluates route patterns: string literals and what the module builds them from."""

    def __init__(self, scan: _Scan, source: Source) -> None:
        self.scan = scan
        self.source = source
        self.imported: dict[str, tuple[str, str]] = {}
        for node in ast.walk(source.tree):
            if isinstance(node, ast.ImportFrom):
                module = absolute_module(source, node)
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (module, alias.name)

    def pattern(self, node: ast.expr) -> _Pattern:
        return self._value(node, depth=0) or _Pattern("", complete=False)

    def _value(self, node: ast.expr, depth: int) -> _Pattern | None:
        if depth > 8:
            return None
        text = constant_string(node)
        if text is not None:
            return _Pattern(text, complete=True)
        if isinstance(node, ast.JoinedStr):
            return self._joined(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._joined_parts([node.left, node.right], depth)
        if isinstance(node, ast.Name):
            return self._name(node.id, depth)
        if isinstance(node, ast.Call):
            return self._method(node, depth)
        return None

    def _joined(self, node: ast.JoinedStr, depth: int) -> _Pattern:
        parts = [v.value if isinstance(v, ast.FormattedValue) else v for v in node.values]
        return self._joined_parts(parts, depth)

    def _joined_parts(self, parts: list[ast.expr], depth: int) -> _Pattern:
        values = [self._value(part, depth + 1) for part in parts]
        text = "".join(value.text for value in values if value is not None)
        return _Pattern(text, all(value is not None and value.complete for value in values))

    def _name(self, name: str, depth: int) -> _Pattern | None:
        local = _module_constants(self.scan, self.source.module).get(name)
        if local is not None:
            return self._value(local, depth + 1)
        if name in self.imported:
            module, original = self.imported[name]
            other = _module_constants(self.scan, module).get(original)
            if other is not None:
                return _Evaluator(self.scan, self._source_of(module))._value(other, depth + 1)
        return None

    def _source_of(self, module: str) -> Source:
        path = self.scan.root.joinpath(*module.split(".")).with_suffix(".py")
        return parse(self.scan.root, path)

    def _method(self, node: ast.Call, depth: int) -> _Pattern | None:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in STRING_METHODS:
            return None
        receiver = self._value(func.value, depth + 1)
        arguments = [constant_string(argument) for argument in node.args]
        if receiver is None or None in arguments:
            return None
        text = getattr(receiver.text, func.attr)(*arguments)
        return _Pattern(text, receiver.complete)


def _route_names(source: Source) -> set[str]:
    """Local names bound to django.urls.path / re_path, and names bound to django.urls."""
    names: set[str] = set()
    for node in ast.walk(source.tree):
        if isinstance(node, ast.ImportFrom) and absolute_module(source, node) == "django.urls":
            names |= {a.asname or a.name for a in node.names if a.name in ROUTE_FUNCTIONS}
        elif isinstance(node, ast.ImportFrom) and node.module == "django":
            names |= {f"{a.asname or a.name}.{f}" for a in node.names if a.name == "urls"
                      for f in ROUTE_FUNCTIONS}  # fmt: skip
        elif isinstance(node, ast.Import):
            names |= {f"{a.asname or a.name}.{f}" for a in node.names if a.name == "django.urls"
                      for f in ROUTE_FUNCTIONS}  # fmt: skip
    return names


def _pattern_parameters(text: str, regex: bool) -> tuple[list[str], int] | None:
    """Named parameters and unnamed groups of a pattern; None if a regex does not compile."""
    if not regex:
        return [match.group("parameter") for match in _CONVERTER.finditer(text)], 0
    try:
        compiled = re.compile(text)
    except re.error:
        return None
    return list(compiled.groupindex), compiled.groups - len(compiled.groupindex)


def _check_route(scan: _Scan, source: Source, call: ast.Call, function: str) -> None:
    scan.routes += 1
    pattern = _Evaluator(scan, source).pattern(call.args[0])
    where = source.at(call)
    if not pattern.complete:
        scan.unresolved.append(where)
    parameters = _pattern_parameters(pattern.text, regex=function.endswith("re_path"))
    if parameters is None:
        scan.violations.append(f"{where} route {pattern.text!r} is not a valid regex")
        return
    names, unnamed = parameters
    scan.parameters += len(names) + unnamed
    for name in names:
        if not FRAGMENT_WORDS.isdisjoint(tokens(name)):
            scan.violations.append(f"{where} route {pattern.text!r} takes parameter {name}")
    if unnamed:
        scan.violations.append(f"{where} route {pattern.text!r} has an unnamed group")


def scan_routes(scan: _Scan, source: Source) -> None:
    """Judge every path()/re_path() call of one module."""
    names = _route_names(source)
    if not names:
        return
    scan.url_modules += 1
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Call) and node.args:
            function = dotted(node.func)
            if function in names:
                _check_route(scan, source, node, function)


def _is_request(node: ast.expr) -> bool:
    name = (terminal_name(node) or "").lower()
    return name in {"request", "req"} or name.endswith("_request")


def _reads_input(node: ast.Attribute) -> bool:
    if node.attr in ANY_RECEIVER_INPUTS:
        return True
    return node.attr in REQUEST_INPUTS and _is_request(node.value)


def request_read(node: ast.AST) -> str | None:
    """How ``node`` reads request input (``request.GET``), or None if it does not."""
    if isinstance(node, ast.Attribute) and _reads_input(node):
        return dotted(node) or node.attr
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        func = node.func
        if func.attr == "build_absolute_uri" and not node.args and _is_request(func.value):
            return f"{dotted(func) or func.attr}()"
        if func.attr == "get" and node.args:
            return _keyed_read(func.value, constant_string(node.args[0]))
    if isinstance(node, ast.Subscript):
        return _keyed_read(node.value, constant_string(node.slice))
    return None


def _keyed_read(container: ast.expr, key: str | None) -> str | None:
    """``META["QUERY_STRING"]``, ``scope["query_string"]`` or a fragment-like header read."""
    name = terminal_name(container)
    if key is None:
        return None
    query = (name == "META" and key == "QUERY_STRING") or (name == "scope" and key in SCOPE_INPUTS)
    header = name in {"META", "headers"} and not FRAGMENT_WORDS.isdisjoint(tokens(key))
    return f"{dotted(container) or name}[{key!r}]" if query or header else None


def scan_request_reads(scan: _Scan, source: Source) -> None:
    """Flag every read of request input in one module."""
    for node in ast.walk(source.tree):
        read = request_read(node)
        if read is not None:
            scan.violations.append(f"{source.at(node)} reads {read}")


def run(ctx: Context) -> CheckResult:
    """Scan routes and request reads; ERROR without any URL configuration to judge."""
    try:
        sources = parse_all(ctx.root, server_files(ctx.root))
    except Unreadable as error:
        return could_not_run(str(error))
    scan = _Scan(ctx.root)
    for source in sources:
        scan_routes(scan, source)
        scan_request_reads(scan, source)
    if not scan.routes:
        return could_not_run("no path() or re_path() route found in the server code")
    counts = {
        "modules_scanned": len(sources),
        "url_modules": scan.url_modules,
        "routes": scan.routes,
        "route_parameters": scan.parameters,
        "routes_partly_unresolved": len(scan.unresolved),
        "violations": len(set(scan.violations)),
    }
    return judged(
        scan.violations,
        counts,
        f"none of {scan.routes} routes takes a fragment-like parameter, "
        f"and no view or consumer of {len(sources)} modules reads request input",
        "a route or view could take the link fragment from a request",
        {"fragment_words": sorted(FRAGMENT_WORDS), "partly_unresolved": scan.unresolved},
    )


pytestmark = pytest.mark.check("No route or view takes a fragment-like parameter", "static")


def test_routes_take_no_fragment(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
