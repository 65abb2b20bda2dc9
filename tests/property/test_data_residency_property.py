"""Property 7, Data Residency Compliance.

Over generated plans (data stores in random regions or the Lagos Local Zone with random data
classes; copy paths: AWS Backup copy actions, DynamoDB and Secrets Manager replicas, S3
replication, to buckets in the plan or outside it) and generated allow-lists and transfer
registers (about 30% of entries expired): the gate reports no residency violation (RES-001,
RES-003..RES-007) iff every store and path is in a location allowed for its class and, holding
personal data outside Nigeria, has a current register entry. When it refuses, it reports exactly
the violations worked out below from the generated spec (never from the gate's own helpers), each
naming the register entry it needs or the expired one to renew.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from deployment_infra.policy import PolicyContext, check_plan
from deployment_infra.transfers import Transfer
from tests.unit.test_policy_checks import UNKNOWN, UNTAGGABLE, Res, make_plan, provider

TODAY = dt.date(2026, 11, 30)
ACCOUNT = "123456789012"
LAGOS = "af-south-1-los-1a"  # a Local Zone of af-south-1, inside Nigeria
REGIONS = ("af-south-1", "eu-west-1", "us-east-1", "eu-central-1")
LOCATIONS = ("af-south-1", LAGOS, "eu-west-1", "us-east-1", "eu-central-1")
PROVIDER_KEYS = dict(zip(REGIONS, ("aws", "aws.euw", "aws.use", "aws.euc"), strict=True))
CLASSES = ("public", "internal", "personal", "sensitive-personal")
PERSONAL = frozenset({"personal", "sensitive-personal"})
DOMESTIC = frozenset({LAGOS})
BOGUS = "top-secret"
# Mostly a known class; sometimes a class the settings do not know, or no tag at all.
TAGS = st.sampled_from([*CLASSES * 4, BOGUS, None])
RESIDENCY_IDS = frozenset({"RES-001", "RES-003", "RES-004", "RES-005", "RES-006", "RES-007"})
# What the register calls each place data sits (written out here, not read from the gate).
SERVICES = ("backup", "dynamodb", "efs", "logs", "rds", "s3", "secretsmanager")
BASIS = "s.41(1)(a): contractual clauses"
SSE = "aws_s3_bucket_server_side_encryption_configuration"  # given to every bucket: ENC-001 quiet
REPLICATION = "aws_s3_bucket_replication_configuration"


@dataclass(frozen=True)
class Kind:
    rtype: str
    service: str
    zone_attribute: str | None  # the attribute that pins it to one zone, if any


KINDS = {
    "bucket": Kind("aws_s3_bucket", "s3", None),
    "table": Kind("aws_dynamodb_table", "dynamodb", None),
    "secret": Kind("aws_secretsmanager_secret", "secretsmanager", None),
    "vault": Kind("aws_backup_vault", "backup", None),
    "logs": Kind("aws_cloudwatch_log_group", "logs", None),
    "db": Kind("aws_db_instance", "rds", "availability_zone"),
    "efs": Kind("aws_efs_file_system", "efs", "availability_zone_name"),
    "cache": Kind("aws_elasticache_cluster", "elasticache", "availability_zone"),
}


@dataclass(frozen=True)
class Store:
    kind: str
    name: str
    region: str  # its provider's region
    zone: str | None
    tag: str | None  # its DataClassification tag (None: none)
    tags_known: bool  # False: tags_all known only after apply
    replicas: tuple[str, ...] = ()  # table and secret replica regions

    @property
    def address(self) -> str:
        return f"{KINDS[self.kind].rtype}.{self.name}"

    @property
    def location(self) -> str:
        return LAGOS if self.zone == LAGOS and self.region == "af-south-1" else self.region

    @property
    def data_class(self) -> str | None:
        return self.tag if self.tags_known else None


@dataclass(frozen=True)
class BackupPlan:
    name: str
    vault: Store
    tag: str | None  # the plan's own DataClassification: counts only if the vault has none
    copies: tuple[str, ...]  # destination vault regions


@dataclass(frozen=True)
class Replication:
    name: str
    source: Store
    rules: tuple[tuple[bool, Store | None, str], ...]  # (enabled, bucket in the plan or None, name)


@dataclass(frozen=True)
class Path:
    address: str
    data_class: str | None
    destination: str | None
    service: str


@dataclass(frozen=True)
class Scenario:
    allowed: dict[str, frozenset[str]]
    stores: tuple[Store, ...]
    backups: tuple[BackupPlan, ...]
    replications: tuple[Replication, ...]
    transfers: tuple[Transfer, ...]

    def paths(self) -> list[Path]:
        paths = []
        for s in self.stores:
            service = {"table": "dynamodb", "secret": "secretsmanager"}.get(s.kind)
            paths += [Path(s.address, s.data_class, r, service) for r in s.replicas if service]
        for b in self.backups:
            klass = b.vault.data_class if b.vault.data_class is not None else b.tag
            paths += [Path(f"aws_backup_plan.{b.name}", klass, d, "backup") for d in b.copies]
        for r in self.replications:
            where = [dest.location if dest else None for on, dest, _ in r.rules if on]
            paths += [Path(f"{REPLICATION}.{r.name}", r.source.data_class, w, "s3") for w in where]
        return paths

    def uses(self) -> list[tuple[str | None, str | None, str]]:
        """(class, location, register service) of every store and every path."""
        stores = [(x.data_class, x.location, KINDS[x.kind].service) for x in self.stores]
        return [*stores, *[(p.data_class, p.destination, p.service) for p in self.paths()]]

    def helpers(self) -> list[tuple[str, str, str | None]]:
        """(address, location, class) of the other resources: RES-001 holds them too."""
        return [
            *[(f"{SSE}.{x.name}", x.region, None) for x in self.stores if x.kind == "bucket"],
            *[(f"aws_backup_plan.{b.name}", b.vault.region, b.tag) for b in self.backups],
            *[(f"{REPLICATION}.{r.name}", r.source.region, None) for r in self.replications],
        ]


@cache  # one strategy per odds: building strategies is what makes generation slow
def chance(hits: int, out_of: int = 10) -> st.SearchStrategy[bool]:
    return st.integers(0, out_of - 1).map(lambda x: x < hits)


def expiry_offset(pick: int, days: int) -> int:
    """Days from TODAY to an entry's expiry: ~30% expired; the last valid day (0) and the first
    expired one (-1) often."""
    return 0 if pick <= 1 else -1 if pick == 2 else -1 - days if pick <= 4 else days


EXPIRY = st.builds(expiry_offset, st.integers(0, 9), st.integers(1, 400))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    allowed = {
        c: frozenset(loc for loc in LOCATIONS if draw(chance(9 if loc == "af-south-1" else 6)))
        for c in CLASSES
    }

    def place(klass: str | None, options: tuple[str, ...]) -> str:
        # Mostly somewhere allowed for the class (no known class: for every class), so that
        # compliant plans are common.
        fits = allowed.get(klass or "", frozenset.intersection(*allowed.values()))
        fitting = [loc for loc in options if loc in fits]
        if draw(chance(8)) and fitting:
            options = tuple(fitting)
        return draw(st.sampled_from(options))

    def store(kind: str, name: str) -> Store:
        tag = draw(TAGS)
        zoned = KINDS[kind].zone_attribute is not None
        where = place(tag, (*LOCATIONS, LAGOS) if zoned else REGIONS)  # Lagos twice as often
        region, zone = ("af-south-1", LAGOS) if where == LAGOS else (where, None)
        if zoned and where != LAGOS:
            # An ordinary AZ, or the Lagos zone named on another region's provider (not a Local
            # Zone of that region, so the region counts).
            zone = draw(st.sampled_from([None, f"{where}a", *([LAGOS] if where != "af-south-1" else [])]))
        replicas: tuple[str, ...] = ()
        if kind in ("table", "secret"):
            replicas = tuple(place(tag, REGIONS) for _ in range(draw(st.integers(0, 2))))
        return Store(kind, name, region, zone, tag, draw(chance(19, 20)), replicas)

    kinds = st.sampled_from([*sorted(KINDS), "bucket"])  # buckets start most copy paths
    stores = [store(draw(kinds), f"s{i}") for i in range(draw(st.integers(1, 3)))]
    backups = []
    for vault in [s for s in stores if s.kind == "vault"]:
        if draw(chance(7)):
            # Often the plan's own class differs (e.g. internal default_tags): the vault's counts.
            tag = vault.tag if draw(chance(5)) else draw(st.sampled_from([*CLASSES, None]))
            copies = tuple(place(vault.data_class or tag, REGIONS) for _ in range(draw(st.integers(1, 2))))
            backups.append(BackupPlan(f"{vault.name}_plan", vault, tag, copies))
    replications = []
    for source in [s for s in stores if s.kind == "bucket"]:
        if not draw(chance(7)):
            continue
        rules: list[tuple[bool, Store | None, str]] = []
        for j in range(draw(st.integers(1, 2))):
            others = [s for s in stores if s.kind == "bucket" and s != source]
            choice = draw(st.sampled_from(["new", "new", "outside", *(["existing"] if others else [])]))
            if choice == "outside":  # a bucket the plan does not hold: region unknown
                rules.append((draw(chance(7)), None, f"{source.name}-elsewhere-{j}"))
                continue
            if choice == "new":  # the usual DR replica, added to the plan
                dest = store("bucket", f"{source.name}_r{j}")
                stores.append(dest)
            else:
                dest = draw(st.sampled_from(others))
            rules.append((draw(chance(7)), dest, dest.name))
        replications.append(Replication(f"{source.name}_repl", source, tuple(rules)))
    partial = Scenario(allowed, tuple(stores), tuple(backups), tuple(replications), ())

    # What would need a register entry, if allowed at all: personal data leaving Nigeria.
    uses = dict.fromkeys(partial.uses())
    transfers = draw(registers([(c, w, v) for c, w, v in uses if c in PERSONAL and w and w not in DOMESTIC]))
    return Scenario(allowed, tuple(stores), tuple(backups), tuple(replications), transfers)


@st.composite
def registers(draw: st.DrawFn, needed: list[tuple[str, str, str]]) -> tuple[Transfer, ...]:
    """Entries aimed at what the plan needs (often right, sometimes for the wrong service, class or
    place), plus a few unrelated ones; ~30% expired; no two entries expire the same day."""
    entries: list[tuple[str, str, frozenset[str]]] = []
    for klass, where, service in needed:
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 1, 2, 2]))):
            other = draw(st.sampled_from([s for s in SERVICES if s != service]))
            services = draw(st.sampled_from([[service], [service], ["*"], [service, other], [other]]))
            entries.append(
                (
                    klass if draw(chance(9)) else draw(st.sampled_from(CLASSES)),
                    where if draw(chance(9)) else draw(st.sampled_from(LOCATIONS)),
                    frozenset(services),
                )
            )
    for _ in range(draw(st.integers(0, 2))):
        services = draw(st.lists(st.sampled_from([*SERVICES, "*"]), min_size=1, max_size=3))
        entries.append(
            (draw(st.sampled_from(CLASSES)), draw(st.sampled_from(LOCATIONS)), frozenset(services))
        )
    entries = draw(st.permutations(entries))
    offsets = draw(st.lists(EXPIRY, min_size=len(entries), max_size=len(entries), unique=True))
    return tuple(
        Transfer(f"TR-{i + 1:03d}", klass, where, services, BASIS, "dpo", TODAY + dt.timedelta(days=days), "")
        for i, ((klass, where, services), days) in enumerate(zip(entries, offsets, strict=True))
    )


# --- the plan and context the gate sees ---------------------------------------------------------


def tags(klass: str | None) -> dict[str, str]:
    return {"Project": "ngapp", **({"DataClassification": klass} if klass is not None else {})}


def build_plan(s: Scenario) -> dict[str, Any]:
    resources: list[Res] = []
    for store in s.stores:
        key, kind = PROVIDER_KEYS[store.region], KINDS[store.kind]
        after: dict[str, Any] = {"name": store.name}
        if store.kind == "bucket":
            after = {"bucket": store.name}
            resources.append(Res(SSE, store.name, provider_key=key, tags_all=UNTAGGABLE, after=dict(after)))
        elif store.kind == "table":
            after["server_side_encryption"] = [{"enabled": True}]
            after["replica"] = [{"region_name": r} for r in store.replicas]
        elif store.kind == "secret":
            after["replica"] = [{"region": r} for r in store.replicas]
        elif store.kind == "logs":
            after["kms_key_id"] = f"arn:aws:kms:{store.region}:{ACCOUNT}:key/logs"
        if kind.zone_attribute and store.zone:
            after[kind.zone_attribute] = store.zone
        tags_all = tags(store.tag) if store.tags_known else UNKNOWN
        resources.append(Res(kind.rtype, store.name, provider_key=key, tags_all=tags_all, after=after))
    for b in s.backups:
        copies = [
            {"destination_vault_arn": f"arn:aws:backup:{d}:{ACCOUNT}:backup-vault:dr"} for d in b.copies
        ]
        after = {"name": b.name, "rule": [{"target_vault_name": b.vault.name, "copy_action": copies}]}
        key = PROVIDER_KEYS[b.vault.region]
        resources.append(Res("aws_backup_plan", b.name, provider_key=key, tags_all=tags(b.tag), after=after))
    for r in s.replications:
        rules = [
            {"status": "Enabled" if on else "Disabled", "destination": [{"bucket": f"arn:aws:s3:::{name}"}]}
            for on, _, name in r.rules
        ]
        after = {"bucket": r.source.name, "rule": rules}
        key = PROVIDER_KEYS[r.source.region]
        resources.append(Res(REPLICATION, r.name, provider_key=key, tags_all=UNTAGGABLE, after=after))
    return make_plan(*resources, providers={key: provider(region) for region, key in PROVIDER_KEYS.items()})


def context(s: Scenario) -> PolicyContext:
    return PolicyContext(
        allowed_regions=s.allowed,
        required_tags=("Project",),
        personal_classes=PERSONAL,
        domestic_locations=DOMESTIC,
        transfers=s.transfers,
        today=TODAY,
    )


# --- the expected answer, from the spec ---------------------------------------------------------


def strictest(s: Scenario) -> frozenset[str]:
    """Where data of unknown class may be: where every class may be."""
    return frozenset.intersection(*s.allowed.values())


def entries_for(s: Scenario, klass: str, where: str, service: str) -> list[Transfer]:
    return [
        t
        for t in s.transfers
        if t.data_class == klass and t.destination == where and (service in t.services or "*" in t.services)
    ]


def registered(s: Scenario, klass: str, where: str, service: str) -> bool:
    """Registered if needed at all: personal data outside Nigeria needs a current entry."""
    if klass not in PERSONAL or where in DOMESTIC:
        return True
    return any(t.expires >= TODAY for t in entries_for(s, klass, where, service))


def compliant(s: Scenario) -> bool:
    """The statement: every store and path is allowed and registered (and every other resource
    sits where its class, or every class when it has none, may be)."""
    stores_and_paths_ok = all(
        klass in s.allowed and where in s.allowed[klass] and registered(s, klass, where, service)
        for klass, where, service in s.uses()
    )
    others_ok = all(
        where in (s.allowed.get(klass, frozenset()) if klass is not None else strictest(s))
        for _, where, klass in s.helpers()
    )
    return stores_and_paths_ok and others_ok


def expected(s: Scenario) -> set[tuple[str, str, str]]:
    """(check id, address, register entry) of every residency violation the gate must report."""
    found: set[tuple[str, str, str]] = set()

    def needs_entry(check_id: str, address: str, klass: str, where: str, service: str) -> None:
        if registered(s, klass, where, service):
            return
        known = entries_for(s, klass, where, service)
        if known:  # only expired ones: renew the one that expired last
            found.add(("RES-005", address, max(known, key=lambda t: t.expires).id))
        else:
            found.add((check_id, address, f"data_class={klass} destination={where} service={service}"))

    placed = [(x.address, x.location, x.data_class) for x in s.stores] + s.helpers()
    for address, where, klass in placed:
        if where not in (s.allowed.get(klass, frozenset()) if klass is not None else strictest(s)):
            found.add(("RES-001", address, ""))
    for store in s.stores:
        klass = store.data_class
        if klass not in s.allowed:
            found.add(("RES-003", store.address, ""))
        elif store.location in s.allowed[klass]:
            needs_entry("RES-004", store.address, klass, store.location, KINDS[store.kind].service)
    for p in s.paths():
        if p.destination is None:
            found.add(("RES-006", p.address, ""))
        elif p.data_class not in s.allowed:  # unknown class: the strictest list, and no register
            if p.destination not in strictest(s):
                found.add(("RES-006", p.address, ""))
            elif p.destination not in DOMESTIC:
                found.add(("RES-007", p.address, ""))
        elif p.destination not in s.allowed[p.data_class]:
            found.add(("RES-006", p.address, ""))
        else:
            needs_entry("RES-007", p.address, p.data_class, p.destination, p.service)
    return found


def test_gate_passes_iff_every_store_and_path_is_allowed_and_registered() -> None:
    verdicts: Counter[str] = Counter()

    @settings(max_examples=100, deadline=None)
    @given(scenarios())
    def check(s: Scenario) -> None:
        violations = check_plan(build_plan(s), context(s))
        got = {(v.check_id, v.address, v.register_entry) for v in violations if v.check_id in RESIDENCY_IDS}
        ok = compliant(s)
        verdicts["pass" if ok else "refuse"] += 1
        event("compliant: gate must pass" if ok else "not compliant: gate must refuse")
        for check_id in sorted({c for c, _, _ in got}):
            event(f"reports {check_id}")
        assert (not got) == ok, f"compliant={ok} but the gate reported {sorted(got)}"
        assert got == expected(s)

    check()
    # Not vacuous: both verdicts are common (about a third of the examples pass).
    assert verdicts["pass"] >= 10, verdicts
    assert verdicts["refuse"] >= 10, verdicts


def test_res005_names_the_entry_that_expired_last() -> None:
    """Two expired entries cover the same store: the report names the one to renew, the one that
    expired last (residency_checks.RegisterCurrent), whatever the register's order."""
    db = Store("db", "main", "af-south-1", None, "personal", True)
    entries = tuple(
        Transfer(ident, "personal", "af-south-1", frozenset({"rds"}), BASIS, "dpo", day, "")
        for ident, day in (("TR-001", TODAY - dt.timedelta(days=1)), ("TR-002", TODAY - dt.timedelta(days=2)))
    )
    for register in (entries, entries[::-1]):
        s = Scenario({c: frozenset({"af-south-1"}) for c in CLASSES}, (db,), (), (), register)
        assert expected(s) == {("RES-005", "aws_db_instance.main", "TR-001")}
        violations = [v for v in check_plan(build_plan(s), context(s)) if v.check_id in RESIDENCY_IDS]
        assert [(v.check_id, v.register_entry) for v in violations] == [("RES-005", "TR-001")], [
            t.id for t in register
        ]
