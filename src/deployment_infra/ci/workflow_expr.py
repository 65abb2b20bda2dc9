"""GitHub Actions expressions (`${{ ... }}`): a parser and an evaluator for the workflow model.

Covers the language (literals, contexts, property and index access, `*` object filters, `!`,
`==`/`!=`/`<`/`<=`/`>`/`>=` with GitHub's loose, case-insensitive comparison, `&&`/`||` returning an
operand, and the functions contains, startsWith, endsWith, format, join, toJSON, fromJSON plus the
status checks). What cannot be known from the workflow file alone (a context the caller did not
provide, hashFiles) raises `Unknown`, so that the model can treat the condition conservatively.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

STATUS_FUNCTIONS = frozenset({"success", "failure", "always", "cancelled"})


class ExpressionError(ValueError):
    """The text is not a valid expression."""


class Unknown(Exception):  # noqa: N818 - a value, not an error: "this cannot be known here"
    """The expression depends on something the model does not know."""


class Strict(dict[str, Any]):
    """A context object that knows only some of its properties: reading any other one is Unknown
    (a plain dict answers null for a missing property, as GitHub does)."""


_TOKEN = re.compile(
    r"\s*(?:(?P<num>0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<str>'(?:[^']|'')*')"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*])|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ExpressionError(f"unexpected character at {pos}: {text[pos : pos + 10]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


@dataclass(frozen=True)
class Node:
    kind: str  # lit, ctx, prop, index, filter, not, bin, call
    value: Any = None
    args: tuple[Node, ...] = ()


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise ExpressionError("unexpected end of expression")
        tok = self.toks[self.i]
        if expected is not None and tok[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.binary(0)
        if self.i != len(self.toks):
            raise ExpressionError(f"unexpected {self.toks[self.i][1]!r}")
        return node

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self._LEVELS[level] and self.toks[self.i][0] == "op":
            op = self.take()[1]
            left = Node("bin", op, (left, self.binary(level + 1)))
        return left

    def unary(self) -> Node:
        if self.peek() == "!" and self.toks[self.i][0] == "op":
            self.take()
            return Node("not", None, (self.unary(),))
        return self.postfix(self.primary())

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return Node("lit", float(int(text, 16)) if text.lower().startswith("0x") else float(text))
        if kind == "str":
            return Node("lit", text[1:-1].replace("''", "'"))
        if kind == "op" and text == "(":
            node = self.binary(0)
            self.take(")")
            return node
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        literals = {"true": True, "false": False, "null": None, "NaN": math.nan, "Infinity": math.inf}
        if text in literals:
            return Node("lit", literals[text])
        if self.peek() == "(":
            self.take("(")
            args: list[Node] = []
            while self.peek() != ")":
                args.append(self.binary(0))
                if self.peek() != ")":
                    self.take(",")
            self.take(")")
            return Node("call", text.lower(), tuple(args))
        return Node("ctx", text.lower())

    def postfix(self, node: Node) -> Node:
        while self.peek() in (".", "[") and self.toks[self.i][0] == "op":
            if self.take()[1] == ".":
                kind, text = self.take()
                if text == "*":
                    node = Node("filter", None, (node,))
                elif kind == "name":
                    node = Node("prop", text, (node,))
                else:
                    raise ExpressionError(f"unexpected {text!r} after '.'")
            else:
                if self.peek() == "*":
                    self.take()
                    node = Node("filter", None, (node,))
                else:
                    node = Node("index", None, (node, self.binary(0)))
                self.take("]")
        return node


def parse(text: str) -> Node:
    """Parse an expression, with or without its `${{ }}` wrapper."""
    stripped = text.strip()
    if stripped.startswith("${{") and stripped.endswith("}}") and stripped.count("${{") == 1:
        stripped = stripped[3:-2]
    return _Parser(stripped).parse()


def calls(node: Node) -> set[str]:
    """Names of the functions the expression calls (to see whether it has a status check)."""
    found = {node.value} if node.kind == "call" else set()
    for arg in node.args:
        found |= calls(arg)
    return found


def contexts_used(text: str) -> set[str]:
    """The contexts (github, needs, ...) the `${{ }}` templates of a text read; unparseable
    templates count as reading everything ("*")."""
    found: set[str] = set()

    def walk(node: Node) -> None:
        if node.kind == "ctx":
            found.add(str(node.value))
        for arg in node.args:
            walk(arg)

    for m in re.finditer(r"\$\{\{(.*?)\}\}", text, flags=re.DOTALL):
        try:
            walk(parse(m.group(1)))
        except ExpressionError:
            found.add("*")
    return found


def _number(v: Any) -> float:
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip()) if v.strip() else 0.0
        except ValueError:
            return math.nan
    return math.nan


def truthy(v: Any) -> bool:
    if isinstance(v, float) and math.isnan(v):
        return False
    return v not in (False, 0, "", None)


def _compare(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        x: Any = a.casefold()
        y: Any = b.casefold()
    elif type(a) is type(b) and not isinstance(a, int | float | bool | type(None)):
        x, y = id(a), id(b)  # objects and arrays: equal only when the same instance
    else:
        x, y = _number(a), _number(b)
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "==": lambda p, q: bool(p == q),
        "!=": lambda p, q: bool(p != q),
        "<": lambda p, q: bool(p < q),
        "<=": lambda p, q: bool(p <= q),
        ">": lambda p, q: bool(p > q),
        ">=": lambda p, q: bool(p >= q),
    }
    return ops[op](x, y)


def to_string(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dict | list):
        return json.dumps(v, indent=2)
    return str(v)


def evaluate(node: Node, contexts: Mapping[str, Any], status: Mapping[str, bool]) -> Any:
    """Evaluate against `contexts` (a missing context raises Unknown) and the status checks' values."""

    def ev(n: Node) -> Any:
        if n.kind == "lit":
            return n.value
        if n.kind == "ctx":
            if n.value not in contexts:
                raise Unknown(f"context {n.value!r}")
            return contexts[n.value]
        if n.kind in ("prop", "index"):
            base = ev(n.args[0])
            key = n.value if n.kind == "prop" else ev(n.args[1])
            if isinstance(base, list):
                return [_get(item, key) for item in base] if n.kind == "prop" else _get(base, key)
            return _get(base, key)
        if n.kind == "filter":
            base = ev(n.args[0])
            return list(base.values()) if isinstance(base, dict) else list(base or [])
        if n.kind == "not":
            return not truthy(ev(n.args[0]))
        if n.kind == "bin":
            if n.value in ("&&", "||"):
                left = ev(n.args[0])
                if truthy(left) == (n.value == "||"):
                    return left
                return ev(n.args[1])
            return _compare(n.value, ev(n.args[0]), ev(n.args[1]))
        return _call(n.value, n.args, ev, status)

    return ev(node)


def _get(base: Any, key: Any) -> Any:
    if isinstance(base, dict):
        lowered = {str(k).casefold(): v for k, v in base.items()}
        if isinstance(key, str) and key.casefold() in lowered:
            return lowered[key.casefold()]
        if isinstance(base, Strict):
            raise Unknown(f"property {key!r}")
        return None
    if isinstance(base, list) and isinstance(key, int | float) and not isinstance(key, bool):
        i = int(key)
        return base[i] if 0 <= i < len(base) else None
    return None


def _call(name: str, args: tuple[Node, ...], ev: Callable[[Node], Any], status: Mapping[str, bool]) -> Any:
    if name in STATUS_FUNCTIONS:
        return status[name]
    values = [ev(a) for a in args]
    if name == "contains" and len(values) == 2:
        hay, needle = values
        if isinstance(hay, list):
            return any(_compare("==", item, needle) for item in hay)
        return to_string(needle).casefold() in to_string(hay).casefold()
    if name in ("startswith", "endswith") and len(values) == 2:
        s, part = to_string(values[0]).casefold(), to_string(values[1]).casefold()
        return s.startswith(part) if name == "startswith" else s.endswith(part)
    if name == "format" and values:
        rest = values[1:]
        return re.sub(r"\{(\d+)\}", lambda m: to_string(rest[int(m.group(1))]), to_string(values[0]))
    if name == "join" and values:
        sep = to_string(values[1]) if len(values) > 1 else ","
        return sep.join(to_string(v) for v in values[0]) if isinstance(values[0], list) else values[0]
    if name == "tojson" and len(values) == 1:
        return json.dumps(values[0], indent=2)
    if name == "fromjson" and len(values) == 1:
        try:
            return json.loads(to_string(values[0]))
        except json.JSONDecodeError as exc:
            raise Unknown(f"fromJSON of {values[0]!r}") from exc
    raise Unknown(f"function {name}()")  # hashFiles and anything newer: not knowable here


def interpolate(text: str, contexts: Mapping[str, Any], status: Mapping[str, bool]) -> str:
    """A string with `${{ }}` templates (an env value, a run script) with each one evaluated."""

    def one(m: re.Match[str]) -> str:
        return to_string(evaluate(parse(m.group(1)), contexts, status))

    return re.sub(r"\$\{\{(.*?)\}\}", one, text, flags=re.DOTALL)
