"""Per-pull-request preview environments: naming, network, registry and their whole life.

A preview is the small root terraform/previews/ applied with its own state key
(previews/pr-<N>/terraform.tfstate) through the same Stack, plan, policy gate and apply as an
environment. An SSM parameter per preview ("/<project>/previews/pr-<N>") records it, so `list` and
`reap` never need Terraform. The pure parts (names, CIDR, reap selection) come first.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
import shutil
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deployment_infra import state_lock, ui
from deployment_infra.bootstrap import Backend, known_backend
from deployment_infra.errors import InfraError, UsageError
from deployment_infra.settings import EnvironmentSettings, Settings
from deployment_infra.stack import Stack
from deployment_infra.targets import Target
from deployment_infra.workdir import WorkDir

MAX_PR = 999_999
DEFAULT_TTL_HOURS = 72.0
# Previews take /22 blocks of 10.0.0.0/8 (16384 of them), skipping every block that overlaps an
# environment's vpc_cidr. A /22 cut into the vpc module's 16 subnets gives /26 subnets, above the
# /27 an ALB needs.
POOL = ipaddress.IPv4Network("10.0.0.0/8")
PREFIX = 22
# The image a preview starts with when `up` is given none: a placeholder, like an environment's
# "bootstrap" tag, until the pull request's image is passed with --image.
PLACEHOLDER_IMAGE_TAG = "bootstrap"


# -- names ----------------------------------------------------------------------------------------
def check_pr(pr: int) -> int:
    """`pr` when it is a pull request number 1..999999; else a UsageError (exit 2)."""
    if isinstance(pr, bool) or not isinstance(pr, int) or not 1 <= pr <= MAX_PR:
        raise UsageError(f"--pr {pr!r} is not a pull request number (1 to {MAX_PR})")
    return pr


def env_name(pr: int) -> str:
    return f"pr-{pr}"


def pr_of(name: str) -> int | None:
    """The PR number of a preview's environment name ("pr-12" -> 12), else None."""
    match = re.fullmatch(r"pr-([1-9][0-9]{0,5})", name)
    return int(match[1]) if match else None


def work_name(pr: int) -> str:
    """The preview's work dir under .infra/<target>/ (its Stack's and its run lock's)."""
    return f"previews/{env_name(pr)}"


def state_key(pr: int) -> str:
    return f"previews/pr-{pr}/terraform.tfstate"


def registry_path(project: str) -> str:
    return f"/{project}/previews"


def registry_name(project: str, pr: int) -> str:
    return f"{registry_path(project)}/pr-{pr}"


# -- network --------------------------------------------------------------------------------------
def preview_cidr(pr: int, taken: Iterable[str]) -> str:
    """The preview's VPC CIDR: the (pr mod n)-th of the n pool blocks that overlap no CIDR in `taken`.

    Distinct for PR numbers that differ by less than n (16192 with the three /16 environments), and
    never overlapping an environment. Previews are not peered with anything, so a repeat after n
    would still be isolated.
    """
    size = 1 << (32 - PREFIX)
    base = int(POOL.network_address)
    count = POOL.num_addresses // size
    excluded: set[int] = set()
    for text in taken:
        net = ipaddress.IPv4Network(text, strict=False)
        if not net.overlaps(POOL):
            continue
        first = max(int(net.network_address), base)
        last = min(int(net.broadcast_address), int(POOL.broadcast_address))
        excluded.update(range((first - base) // size, (last - base) // size + 1))
    free = count - len(excluded)
    if free <= 0:
        raise UsageError(f"the environments' VPC CIDRs cover all of {POOL}: no room for previews")
    block = pr % free
    for index in sorted(excluded):  # the block-th free index: step over each excluded one below it
        if index <= block:
            block += 1
    return str(ipaddress.IPv4Network((base + block * size, PREFIX)))


def environment_cidrs(settings: Settings) -> list[str]:
    return [str(e.variables["vpc_cidr"]) for e in settings.environments.values() if "vpc_cidr" in e.variables]


# -- the registry record and reap selection -------------------------------------------------------
@dataclass(frozen=True)
class PreviewRecord:
    """What the registry holds for one preview."""

    pr: int
    created_at: datetime  # UTC, the first `up`; the TTL counts from here
    url: str
    state_key: str
    updated_at: datetime | None = None  # the last `up`
    head_sha: str | None = None
    image: str | None = None

    def age_hours(self, now: datetime) -> float:
        return (now - self.created_at).total_seconds() / 3600

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["created_at"] = iso(self.created_at)
        data["updated_at"] = iso(self.updated_at) if self.updated_at else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PreviewRecord:
        updated = data.get("updated_at")
        pr = check_pr(int(data["pr"]))
        return cls(
            pr=pr,
            created_at=parse_time(str(data["created_at"])),
            url=str(data.get("url", "")),
            state_key=str(data.get("state_key") or state_key(pr)),
            updated_at=parse_time(str(updated)) if updated else None,
            head_sha=data.get("head_sha"),
            image=data.get("image"),
        )


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def select_for_reaping(
    records: Iterable[PreviewRecord], now: datetime, ttl_hours: float, open_prs: frozenset[int] | None
) -> list[tuple[PreviewRecord, str]]:
    """The previews to destroy, each with why: older than `ttl_hours`, or its PR not in `open_prs`
    (None: the open PRs are unknown, so only age counts)."""
    limit = timedelta(hours=ttl_hours)
    chosen: list[tuple[PreviewRecord, str]] = []
    for record in sorted(records, key=lambda r: r.pr):
        if open_prs is not None and record.pr not in open_prs:
            chosen.append((record, "pull request closed"))
        elif now - record.created_at > limit:
            chosen.append((record, f"older than {ttl_hours:g} h ({record.age_hours(now):.1f} h)"))
    return chosen


def parse_open_prs(text: str) -> frozenset[int]:
    """PR numbers from "12,15", whitespace-separated numbers, or `gh pr list --json number` JSON."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurd nesting
            raise UsageError(f"open PR list is not valid JSON: {exc}") from None
        if not isinstance(items, list):
            raise UsageError('open PR list JSON must be a list of numbers or of {"number": N} objects')
        values: list[Any] = [i.get("number") if isinstance(i, dict) else i for i in items]
    else:
        values = [v for v in stripped.replace(",", " ").split() if v]
    numbers: set[int] = set()
    for raw in values:
        # at most 6 ASCII digits: "²" is a digit to str.isdigit() but not to int(), and int() refuses
        # more than 4300 digits
        digits = isinstance(raw, str) and len(raw) <= 6 and raw.isascii() and raw.isdigit()
        value = int(raw) if digits else raw
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PR:
            raise UsageError(f"open PR list: {raw!r} is not a pull request number (1 to {MAX_PR})")
        numbers.add(value)
    return frozenset(numbers)


# -- the registry in SSM --------------------------------------------------------------------------
class Registry:
    """Preview records as SSM String parameters under "/<project>/previews"."""

    def __init__(self, settings: Settings, target: Target) -> None:
        self.settings = settings
        self.ssm = target.client("ssm", settings.default_region)

    def all(self) -> list[PreviewRecord]:
        records = []
        try:
            pages = self.ssm.get_paginator("get_parameters_by_path").paginate(
                Path=registry_path(self.settings.project), Recursive=False
            )
            for page in pages:
                for param in page.get("Parameters", []):
                    try:
                        records.append(PreviewRecord.from_dict(json.loads(param["Value"])))
                    except (ValueError, KeyError, TypeError, InfraError):
                        ui.warn(f"{param['Name']}: not a preview record, ignored")
        except (ClientError, BotoCoreError) as exc:
            raise InfraError(f"cannot read the preview registry: {exc}") from None
        return sorted(records, key=lambda r: r.pr)

    def get(self, pr: int) -> PreviewRecord | None:
        return next((r for r in self.all() if r.pr == pr), None)

    def put(self, record: PreviewRecord) -> None:
        name = registry_name(self.settings.project, record.pr)
        try:
            self.ssm.put_parameter(
                Name=name,
                Description=f"Preview environment of pull request {record.pr} (written by infra preview)",
                Value=json.dumps(record.to_dict(), sort_keys=True),
                Type="String",
                Overwrite=True,
            )
            tags = {**self.settings.shared_tags(), **preview_tags(record.pr)}
            self.ssm.add_tags_to_resource(
                ResourceType="Parameter",
                ResourceId=name,
                Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
            )
        except (ClientError, BotoCoreError) as exc:
            raise InfraError(f"cannot write {name}: {exc}") from None

    def delete(self, pr: int) -> None:
        name = registry_name(self.settings.project, pr)
        try:
            self.ssm.delete_parameter(Name=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise InfraError(f"cannot delete {name}: {exc}") from None
        except BotoCoreError as exc:
            raise InfraError(f"cannot delete {name}: {exc}") from None


def preview_tags(pr: int) -> dict[str, str]:
    return {"Environment": env_name(pr), "Preview": "true", "PullRequest": str(pr)}


# -- the preview as a Stack -----------------------------------------------------------------------
def preview_stack(settings: Settings, target: Target, pr: int, image: str | None = None) -> Stack:
    """A Stack over terraform/previews for PR `pr`: own state key, work dir and gate context."""
    check_pr(pr)
    env = EnvironmentSettings(
        name=env_name(pr),
        path=settings.terraform_dir / "previews",
        region=settings.default_region,
        tags=preview_tags(pr),
        variables={
            "pr_number": pr,
            "vpc_cidr": preview_cidr(pr, environment_cidrs(settings)),
            "container_image": image or f"{settings.project}/api:{PLACEHOLDER_IMAGE_TAG}",
        },
        protected=False,
        highly_available=False,
    )
    # The gate judges a plan against a known environment: the preview joins the settings' list.
    with_preview = dataclasses.replace(settings, environments={**settings.environments, env.name: env})
    return Stack(with_preview, target, env, state_key=state_key(pr), work_name=work_name(pr))


def up(
    settings: Settings, target: Target, pr: int, *, image: str | None = None, head_sha: str | None = None
) -> tuple[PreviewRecord, bool] | None:
    """Create or update the preview; its record and whether anything changed (None: gate refused)."""
    from deployment_infra.commands.lifecycle import converge

    check_pr(pr)
    with _run_lock(settings, target, pr, f"infra preview up --pr {pr}"):
        target.prepare()
        registry = Registry(settings, target)
        previous = registry.get(pr)
        st = preview_stack(settings, target, pr, image or (previous.image if previous else None))
        backend = _backend(settings, target)
        changed = converge(st, backend, yes=True)
        if changed is None:
            return None
        record = _record(st, pr, previous, head_sha)
        registry.put(record)
    return record, changed


def _record(st: Stack, pr: int, previous: PreviewRecord | None, head_sha: str | None) -> PreviewRecord:
    now = datetime.now(UTC).replace(microsecond=0)
    return PreviewRecord(
        pr=pr,
        created_at=previous.created_at if previous else now,
        url=str(st.outputs().get("url", "")),
        state_key=state_key(pr),
        updated_at=now,
        head_sha=head_sha or (previous.head_sha if previous else None),
        image=str(st.env.variables["container_image"]),
    )


def down(settings: Settings, target: Target, pr: int) -> int:
    """Destroy the preview, then its state objects, registry entry and local work dir."""
    from deployment_infra.commands.lifecycle import destroy

    check_pr(pr)
    with _run_lock(settings, target, pr, f"infra preview down --pr {pr}"):
        target.prepare()
        registry = Registry(settings, target)
        previous = registry.get(pr)
        st = preview_stack(settings, target, pr, previous.image if previous else None)
        code = destroy(st, yes=True)
        if code != 0:
            return code
        deregister_task_definitions(target, settings.default_region, f"{settings.project}-pr{pr}")
        backend = known_backend(settings, target, create=False)
        if backend is not None:
            delete_state(target, backend, state_key(pr))
        registry.delete(pr)
        # run.lock goes too, still held: a run starting now locks a new file, after the destroy
        shutil.rmtree(st.work.base, ignore_errors=True)
    return 0


def _run_lock(settings: Settings, target: Target, pr: int, command: str) -> AbstractContextManager[None]:
    """The preview's run lock (as `infra up`'s for an environment), taken before the emulator starts."""
    work = WorkDir.of(settings, target, work_name(pr))
    return state_lock.run_lock(work.base, f"preview pr-{pr} ({target.name})", command)


def _backend(settings: Settings, target: Target) -> Backend:
    backend = known_backend(settings, target, create=True)
    if backend is None:  # pragma: no cover - create=True bootstraps or raises
        raise InfraError("no state backend")
    return backend


def deregister_task_definitions(target: Target, region: str, family: str) -> int:
    """Deregister every ACTIVE revision of `family`: the ecs module keeps them on destroy
    (skip_destroy, for rollbacks) and `infra deploy` adds its own, but a preview keeps none."""
    ecs = target.client("ecs", region)
    done = 0
    try:
        pages = ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status="ACTIVE")
        for page in pages:
            for arn in page.get("taskDefinitionArns", []):
                if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family:  # a prefix also matches pr1 -> pr12
                    ecs.deregister_task_definition(taskDefinition=arn)
                    done += 1
    except (ClientError, BotoCoreError) as exc:
        raise InfraError(f"cannot deregister the task definitions of {family}: {exc}") from None
    return done


def delete_state(target: Target, backend: Backend, key: str) -> int:
    """Delete every version of the state object `key` (and its lock file): the bucket is versioned.
    Also the state's checksum item in the lock table: left behind, it makes the next `init` of
    this key (a reopened PR) fail with "state data in S3 does not have the expected content"."""
    s3 = target.client("s3", backend.region)
    removed = 0
    try:
        target.client("dynamodb", backend.region).delete_item(
            TableName=backend.lock_table, Key={"LockID": {"S": f"{backend.bucket}/{key}-md5"}}
        )
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=backend.bucket, Prefix=key)
        for page in pages:
            for version in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if version["Key"] in (key, f"{key}.tflock"):
                    s3.delete_object(
                        Bucket=backend.bucket, Key=version["Key"], VersionId=version["VersionId"]
                    )
                    removed += 1
    except (ClientError, BotoCoreError) as exc:
        raise InfraError(f"cannot delete the state {key}: {exc}") from None
    return removed
