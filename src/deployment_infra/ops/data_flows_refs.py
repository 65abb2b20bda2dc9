"""Following a plan's configuration references to the resources they name, for `infra docs data-flows`.

Only the configuration is read (addresses, references, constant values), never values known only
after apply, so a freshly planned environment and an applied one give the same answer. References
go through `var.` (to the calling module's argument), `module.X.Y` (to the child's output) and
data sources; `local.` values are not in the plan and are reported as unresolved. An unindexed
reference to a counted or for_each resource names the instance with the referrer's own key when
there is one (b[each.key]), else every instance, marked as not exact: the plan does not say which.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deployment_infra.policy.locations import block_expression as expression
from deployment_infra.policy.model import IndexKey, PlanView, Resource
from deployment_infra.policy.plan import index_configuration, module_path, split_reference

__all__ = ["Configuration", "Reach", "data_key", "expression", "references", "short"]

# References that name the referrer's own context, not another object.
_CONTEXT = frozenset({"each", "count", "self", "path", "terraform"})
_MODULE_REF = re.compile(r'module\.([A-Za-z_][\w-]*)(\[(?:\d+|"(?:[^"\\]|\\.)*")\])?(?:\.([A-Za-z_][\w-]*))?')
_MAX_DEPTH = 24


@dataclass
class Reach:
    """Where references lead: instance addresses (value: exactly that one, or one of several) and
    why some could not be followed."""

    targets: dict[str, bool] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)

    def add(self, address: str, exact: bool) -> None:
        self.targets[address] = self.targets.get(address, False) or exact

    def merge(self, other: Reach, exact: bool = True) -> None:
        for address, was_exact in other.targets.items():
            self.add(address, was_exact and exact)
        for why in other.unresolved:
            if why not in self.unresolved:
                self.unresolved.append(why)


def short(address: str) -> str:
    """`module.a.module.b["k"].aws_x.y` -> `a/b["k"]/aws_x.y`: module-relative, for people."""
    steps = module_steps(address)
    prefix = ".".join(f"module.{n}{k}" for n, k in steps)
    rest = address[len(prefix) :].removeprefix(".")
    return "/".join([*(f"{n}{k}" for n, k in steps), rest] if rest else [f"{n}{k}" for n, k in steps])


def references(expr: Any) -> list[str]:
    """Every reference in an expression, nested blocks included."""
    found: list[str] = []
    if isinstance(expr, dict):
        refs = expr.get("references")
        if isinstance(refs, list):
            found.extend(r for r in refs if isinstance(r, str))
        for key, value in expr.items():
            if key not in ("references", "constant_value"):
                found.extend(references(value))
    elif isinstance(expr, list):
        for item in expr:
            found.extend(references(item))
    return found


def _key_text(raw: str | None) -> IndexKey:
    if not raw:
        return None
    inner = raw[1:-1]
    if inner.isdigit():
        return int(inner)
    try:
        value = json.loads(inner)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _indexed(base: str, key: IndexKey) -> str:
    if key is None:
        return base
    return f"{base}[{key}]" if isinstance(key, int) else f"{base}[{json.dumps(key)}]"


class Configuration:
    """A plan's configuration tree, addressable by module instance, over its PlanView."""

    def __init__(self, plan: Mapping[str, Any], view: PlanView) -> None:
        config = plan.get("configuration")
        root = config.get("root_module") if isinstance(config, dict) else None
        root = root if isinstance(root, dict) else {}
        self.view = view
        self.blocks = index_configuration(root)
        self.modules: dict[tuple[str, ...], Mapping[str, Any]] = {}
        stack: list[tuple[tuple[str, ...], Mapping[str, Any]]] = [((), root)]
        while stack:
            path, module = stack.pop()
            self.modules[path] = module
            calls = module.get("module_calls")
            for name, call in (calls if isinstance(calls, dict) else {}).items():
                child = call.get("module") if isinstance(call, dict) else None
                if isinstance(child, dict):
                    stack.append(((*path, name), child))
        # Module instances that exist: those holding resources, and their ancestors.
        self.instances: set[str] = {""}
        for res in view.resources:
            address = res.module_address
            while address:
                self.instances.add(address)
                cut = address.rfind(".module.")
                address = address[:cut] if cut >= 0 else ""

    def block(self, scope: str, key: str) -> Mapping[str, Any] | None:
        """The configuration block `key` ("aws_x.y" or "data.aws_x.y") of module instance `scope`."""
        path = module_path(scope)
        return self.blocks.get(path, {}).get(key) if path is not None else None

    def resources(self, scope: str, rtype: str, name: str) -> list[Resource]:
        return [r for r in self.view.of_type(rtype) if r.module_address == scope and r.name == name]

    # -- following references ----------------------------------------------------------------
    def follow(self, scope: str, refs: Iterable[str], key: IndexKey = None, depth: int = 0) -> Reach:
        """Where `refs`, written in module instance `scope` by an instance with index `key`, lead."""
        reach = Reach()
        if depth > _MAX_DEPTH:
            reach.unresolved.append("references nest too deep to follow")
            return reach
        for ref in _longest(refs):
            head = ref.split(".", 1)[0].split("[", 1)[0]
            if head in _CONTEXT:
                continue
            if head == "local":
                reach.unresolved.append(f"{_local(ref)} in {_where(scope)} (locals are not in the plan)")
            elif head == "var":
                reach.merge(self._variable(scope, ref, depth))
            elif head == "module":
                reach.merge(self._output(scope, ref, depth))
            elif head == "data":
                self._data(scope, ref, key, reach)
            else:
                self._managed(scope, ref, key, reach)
        return reach

    def _variable(self, scope: str, ref: str, depth: int) -> Reach:
        name = re.split(r"[.\[]", ref[len("var.") :], maxsplit=1)[0]
        if not scope:
            return Reach()  # a root variable: a value given to the plan, not a resource of it
        steps = module_steps(scope)
        parent = ".".join(f"module.{n}{k}" for n, k in steps[:-1])
        parent_path = tuple(n for n, _ in steps[:-1])
        call = _calls(self.modules.get(parent_path, {})).get(steps[-1][0], {})
        expr = call.get("expressions", {}).get(name) if isinstance(call, dict) else None
        if expr is None:
            return Reach()  # the variable's default: a constant
        return self.follow(parent, references(expr), None, depth + 1)

    def child_instances(self, scope: str, name: str, key: IndexKey) -> tuple[list[str], bool]:
        base = f"{scope}.module.{name}" if scope else f"module.{name}"
        if key is not None:
            wanted = _indexed(base, key)
            return ([wanted] if wanted in self.instances else []), True
        found = sorted(i for i in self.instances if i == base or i.startswith(base + "["))
        found = [i for i in found if "." not in i[len(base) :].split("]", 1)[-1]]
        return found, len(found) <= 1

    def _output(self, scope: str, ref: str, depth: int) -> Reach:
        match = _MODULE_REF.match(ref)
        if match is None or match.group(3) is None:
            return Reach()  # the whole module object; its outputs are listed separately
        name, output = match.group(1), match.group(3)
        path = module_path(scope)
        child = self.modules.get((*path, name)) if path is not None else None
        outputs = child.get("outputs") if child is not None else None
        spec = outputs.get(output) if isinstance(outputs, dict) else None
        if not isinstance(spec, dict):
            return Reach(unresolved=[f"output {output} of module {name} is not in the plan"])
        reach = Reach()
        instances, exact = self.child_instances(scope, name, _key_text(match.group(2)))
        rest = ref[match.end() :]
        key_match = re.match(r"\[(\d+|\"(?:[^\"\\]|\\.)*\")\]", rest)
        # out["k"]: most outputs are maps keyed like the resource they list, so the instance with
        # that key is the likely one; "likely" is not exact.
        key = _key_text(key_match.group(0)) if key_match else None
        for instance in instances:
            found = self.follow(instance, references(spec.get("expression")), key, depth + 1)
            reach.merge(found, exact and key is None)
        return reach

    def _data(self, scope: str, ref: str, key: IndexKey, reach: Reach) -> None:
        parsed = split_reference(ref[len("data.") :])
        if parsed is None:
            reach.unresolved.append(f"{ref} in {_where(scope)}")
            return
        address, literal, index = parsed
        prefix = f"{scope}." if scope else ""
        block = self.block(scope, f"data.{address}")
        if block is None:
            reach.unresolved.append(f"data.{address} in {_where(scope)} is not in the plan")
            return
        many = "for_each_expression" in block or "count_expression" in block
        if literal or not many:
            reach.add(_indexed(f"{prefix}data.{address}", index), True)
        elif key is not None:
            reach.add(_indexed(f"{prefix}data.{address}", key), True)  # d[each.key]
        else:
            reach.add(f"{prefix}data.{address}[*]", False)

    def _managed(self, scope: str, ref: str, key: IndexKey, reach: Reach) -> None:
        parsed = split_reference(ref)
        if parsed is None:
            return
        address, literal, index = parsed
        rtype, name = address.split(".", 1)
        found = self.resources(scope, rtype, name)
        if literal:
            for res in found:
                if res.index == index:
                    reach.add(res.address, True)
            return
        if len(found) == 1 and found[0].index is None:
            reach.add(found[0].address, True)
            return
        same = [r for r in found if key is not None and r.index == key]
        for res in same or found:
            reach.add(res.address, bool(same))


def data_key(address: str) -> tuple[str, str, IndexKey]:
    """A followed data source address -> (module instance, "data.type.name", index key)."""
    match = re.match(r"^(.*?)(?:\.)?(data\.[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)(\[.*\])?$", address)
    if match is None:
        return "", address, None
    raw = match.group(3)
    return match.group(1), match.group(2), (None if raw in (None, "[*]") else _key_text(raw))


def module_steps(address: str) -> list[tuple[str, str]]:
    """The leading module steps of an address: [(name, "[key]" or "")], outermost first."""
    steps: list[tuple[str, str]] = []
    pos = 0
    while address.startswith("module.", pos):
        match = _MODULE_REF.match(address, pos)
        if match is None:
            break
        steps.append((match.group(1), match.group(2) or ""))
        pos += len("module.") + len(match.group(1)) + len(match.group(2) or "")
        if not address.startswith(".", pos):
            break
        pos += 1
    return steps


def _longest(refs: Iterable[str]) -> list[str]:
    """Terraform lists every prefix of a traversal (`a.b["k"]`, `a.b`, `a`); keep the longest."""
    unique = list(dict.fromkeys(refs))
    return [r for r in unique if not any(o != r and o.startswith((r + ".", r + "[")) for o in unique)]


def _calls(module: Mapping[str, Any]) -> Mapping[str, Any]:
    calls = module.get("module_calls")
    return calls if isinstance(calls, dict) else {}


def _local(ref: str) -> str:
    return "local." + re.split(r"[.\[]", ref[len("local.") :], maxsplit=1)[0]


def _where(scope: str) -> str:
    return f"module {short(scope)}" if scope else "the root module"
