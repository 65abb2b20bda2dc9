"""The production gate: an image reaches an environment only after it passed the environment before it.

cd/promotion.toml says which environment must have passed first ([environments.prod] requires = "staging").
CD records each staging integration run as "/<project>/<staging>/integration/<tag>" (image, outcome, url,
time). The newest record for a tag decides, and it must name the exact image: a rebuilt image with the
same tag, or one that later failed, does not pass. The check lives in the tool, not only in the workflow.
"""

from __future__ import annotations

import datetime
import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from deployment_infra.deploy.images import Image
from deployment_infra.deploy.service import ServiceRef
from deployment_infra.errors import InfraError, UsageError

PASSED = "passed"
FAILED = "failed"
RESULTS = (PASSED, FAILED)


@dataclass(frozen=True)
class IntegrationRecord:
    image: str
    outcome: str  # passed | failed
    time: str
    actor: str
    url: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_requirements(path: Path) -> dict[str, str]:
    """environment -> the environment its images must have passed (cd/promotion.toml); {} when absent."""
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:  # e.g. a directory in its place
        raise UsageError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    environments = raw.get("environments", {})
    if not isinstance(environments, dict) or set(raw) - {"environments"}:
        raise UsageError(f"{path}: expected only [environments.<name>] tables")
    required: dict[str, str] = {}
    for env, table in environments.items():
        if (
            not isinstance(table, dict)
            or set(table) != {"requires"}
            or not isinstance(table["requires"], str)
        ):
            raise UsageError(f'{path}: [environments.{env}] must hold exactly requires = "<environment>"')
        required[env] = table["requires"]
    return required


def record_path(ref: ServiceRef, image: Image) -> str:
    return f"{ref.parameter_prefix}/integration/{image.tag}"


def record(
    ssm: Any, ref: ServiceRef, image: Image, *, outcome: str, actor: str, url: str = ""
) -> IntegrationRecord:
    """Store the outcome of `ref`'s integration run of `image` (the newest record wins)."""
    if outcome not in RESULTS:
        raise UsageError(f"outcome {outcome!r} must be one of: {', '.join(RESULTS)}")
    entry = IntegrationRecord(
        image=image.reference,
        outcome=outcome,
        time=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        actor=actor,
        url=url,
    )
    ssm.put_parameter(
        Name=record_path(ref, image),
        Value=json.dumps(entry.to_dict(), sort_keys=True),
        Type="String",
        Overwrite=True,
    )
    return entry


def read(ssm: Any, ref: ServiceRef, image: Image) -> IntegrationRecord | None:
    try:
        value = ssm.get_parameter(Name=record_path(ref, image))["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    try:
        data = json.loads(value)
        return IntegrationRecord(**{k: data[k] for k in IntegrationRecord.__dataclass_fields__ if k in data})
    except (ValueError, TypeError) as exc:
        raise InfraError(f"integration record {record_path(ref, image)} is unreadable: {exc}") from exc


def refusal(entry: IntegrationRecord | None, image: Image, required_env: str) -> str | None:
    """Why `image` may not be promoted, given the required environment's record; None when it may."""
    if entry is None:
        return f"{image.reference} has no integration record in {required_env}: deploy it there first"
    if entry.image != image.reference:
        return f"the {required_env} record for tag {image.tag} is of {entry.image}, not {image.reference}"
    if entry.outcome != PASSED:
        return f"{image.reference} {entry.outcome} integration tests in {required_env} ({entry.time})"
    return None


def gate(ssm: Any, required: ServiceRef, image: Image) -> str | None:
    """Why `image` may not leave `required`'s environment for the next one; None when it may."""
    return refusal(read(ssm, required, image), image, required.environment)
