"""Secrets Manager rotation of an ElastiCache (Redis OSS / Valkey) AUTH token.

Terraform never sets the token: the AWS provider has no write-only `auth_token`, so it would land in
plans and state. The replication group is created with TLS required and no token; the token lives
only in Secrets Manager, as JSON:

    {"engine": "redis", "replication_group_id": "ngapp-dev-cache", "token": ... (absent before the
     first rotation)}

and ECS hands it to the tasks with valueFrom "<secret arn>:token::". This function applies each new
token with ModifyReplicationGroup(AuthToken=<new>, AuthTokenUpdateStrategy="ROTATE",
ApplyImmediately=True). ROTATE keeps the token the group had valid next to the new one: it is the
ElastiCache analogue of alternating users. Tasks started before a rotation keep working with the
token they hold (AWSPREVIOUS once finishSecret has run) until the ECS services have rolled; that
token is retired by the *next* rotation, when ElastiCache keeps the newest token it had and the new
one. The first rotation turns AUTH on (ROTATE on a group without a token sets the first one).

  1. createSecret: a copy of AWSCURRENT with a new 64-character alphanumeric token, as AWSPENDING.
  2. setSecret: unless the group already accepts the token, ModifyReplicationGroup(ROTATE) and wait
     until the group is available again and accepts the token: a DescribeReplicationGroups every
     $REDIS_MODIFY_POLL_SECONDS (15), for at most $REDIS_MODIFY_TIMEOUT_SECONDS (600) and the
     Lambda's remaining time less 10 s; then it fails, and the retry waits again. A group that is
     not "available" is an error: Secrets Manager retries the step.
  3. testSecret: a TLS connection to the primary endpoint; PING without AUTH must be refused
     (NOAUTH), then `AUTH <token>` must answer +OK and PING +PONG.
  4. finishSecret (common.py): AWSCURRENT moves to the token, then the services in
     $RESTART_SERVICE_ARNS roll.

ROTATE keeps the newest token the group had, not necessarily the one in use. If a rotation applied
its token and was then abandoned (cancelled before finishSecret), the group's newest token is one
no task holds, and the next ROTATE would retire the token in use. So setSecret labels the version
whose token it applied with APPLIED_STAGE, and refuses to ROTATE while another version carries that
label, is not the one in use and still authenticates (docs/runbooks/secret-rotation.md: SET the
token in use, then rotate).

TLS: the certificate is verified against the system CA store (ElastiCache's are public);
`$REDIS_TLS_VERIFY=false` turns verification off for tests with a self-signed certificate, never in
AWS. The code needs only the standard library and boto3 (from the Lambda runtime). It never logs a
token, and quotes no server reply without removing the token from it first.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from deployment_infra.lambdas.common import (
    CURRENT,
    PENDING,
    PREVIOUS,
    RotationError,
    Step,
    boto3_module,
    error_code,
    get_secret_dict,
    pending_exists,
    run,
    version_with,
)

logger = logging.getLogger(__name__)
# Lambda's root logger stops at WARNING; the steps are worth an INFO line each in CloudWatch
logger.setLevel(logging.INFO)

ENGINE = "redis"  # the secret's kind; Valkey speaks the same protocol
TOKEN_LENGTH = 64
# ElastiCache: 16-128 printable characters, and of the punctuation only !&#$^<>- ; the tokens drawn
# here are alphanumeric (GetRandomPassword with ExcludePunctuation)
_TOKEN = re.compile(r"^[A-Za-z0-9!&#$^<>-]{16,128}\Z")
# ElastiCache: 1-40 letters, digits and hyphens, starting with a letter, no "--", no trailing "-"
_GROUP_ID = re.compile(r"^(?!.*--)[A-Za-z][A-Za-z0-9-]{0,39}(?<!-)\Z")
AVAILABLE = "available"
ROTATE = "ROTATE"
# Secrets Manager staging label on the version whose token setSecret last applied to the group
APPLIED_STAGE = "ELASTICACHE_APPLIED"

TLS_VERIFY_ENV = "REDIS_TLS_VERIFY"
MODIFY_TIMEOUT_ENV = "REDIS_MODIFY_TIMEOUT_SECONDS"
POLL_ENV = "REDIS_MODIFY_POLL_SECONDS"
MODIFY_TIMEOUT = 600.0  # seconds setSecret waits for the modification (capped by the Lambda's time)
POLL_INTERVAL = 15.0  # seconds between DescribeReplicationGroups while it waits
LAMBDA_MARGIN = 10.0  # seconds left to the Lambda to fail cleanly instead of being killed
CONNECT_TIMEOUT = 5.0  # seconds: a check fails fast rather than hang until Lambda's timeout
MAX_REPLY = 4096  # bytes of a reply line; PING, AUTH and their errors are short

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Endpoint:
    """The primary endpoint of a replication group: where AUTH is checked."""

    host: str
    port: int


@dataclass(frozen=True)
class Exchange:
    """The three replies to PING, AUTH <token>, PING on one connection (token removed from them)."""

    unauthenticated_ping: str
    auth: str
    ping: str

    @property
    def authenticated(self) -> bool:
        return self.auth == "+OK" and self.ping == "+PONG"


def handler(event: Mapping[str, Any], context: object) -> None:
    """The Lambda entry point: validate the token like AWS's templates, then run one step."""
    deadline = _deadline(context)
    steps: dict[str, Step] = {
        "createSecret": create_secret,
        "setSecret": lambda sm, arn, token: set_secret(sm, arn, token, deadline=deadline),
        "testSecret": test_secret,
    }
    run(event, steps, logger)


def create_secret(sm: Any, arn: str, token: str) -> None:
    """Store a copy of AWSCURRENT with a new token as the AWSPENDING version (once per token)."""
    current = get_secret_dict(sm, arn, stage=CURRENT)
    if pending_exists(sm, arn, token):
        logger.info("createSecret: version %s already holds the pending token", token)
        return
    pending = dict(current)  # keeps replication_group_id and any key this function does not know
    group_id = replication_group_id(pending)  # refuse a malformed secret now, not in setSecret
    pending["token"] = sm.get_random_password(
        PasswordLength=TOKEN_LENGTH, ExcludePunctuation=True, IncludeSpace=False
    )["RandomPassword"]
    auth_token(pending)
    sm.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(pending), VersionStages=[PENDING]
    )
    logger.info("createSecret: new token for replication group %s stored as AWSPENDING (%s)", group_id, token)


def set_secret(sm: Any, arn: str, token: str, *, deadline: float | None = None) -> None:
    """Make the group accept the pending token next to the one in use (ROTATE), and wait for it."""
    pending = get_secret_dict(sm, arn, stage=PENDING, version_id=token)
    group_id = replication_group_id(pending)
    new_token = auth_token(pending)
    elasticache = elasticache_client()
    group = describe_group(elasticache, group_id)
    endpoint = primary_endpoint(group)
    if exchange(endpoint, new_token).authenticated:
        logger.info("setSecret: replication group %s already accepts the pending token", group_id)
        _label_applied(sm, arn, token)
        return
    status = group.get("Status")
    if status != AVAILABLE:
        raise RotationError(
            f"setSecret: replication group {group_id} is {status!r}, not available; "
            "Secrets Manager retries the step"
        )
    _check_rotate_keeps_token_in_use(sm, arn, token, endpoint)
    try:
        elasticache.modify_replication_group(
            ReplicationGroupId=group_id,
            AuthToken=new_token,
            AuthTokenUpdateStrategy=ROTATE,
            ApplyImmediately=True,
        )
    except Exception as exc:
        if error_code(exc) == "InvalidReplicationGroupState":
            raise RotationError(
                f"setSecret: replication group {group_id} cannot be modified now; Secrets Manager retries"
            ) from None
        raise
    logger.info("setSecret: ModifyReplicationGroup(ROTATE) on %s; waiting until it is applied", group_id)
    _wait_until_applied(elasticache, group_id, endpoint, new_token, deadline)
    _label_applied(sm, arn, token)
    logger.info("setSecret: replication group %s accepts the pending token (and the one in use)", group_id)


def test_secret(sm: Any, arn: str, token: str) -> None:
    """Over TLS to the primary endpoint: NOAUTH without the token, +OK and +PONG with it."""
    pending = get_secret_dict(sm, arn, stage=PENDING, version_id=token)
    group_id = replication_group_id(pending)
    endpoint = primary_endpoint(describe_group(elasticache_client(), group_id))
    replies = exchange(endpoint, auth_token(pending))
    if replies.auth != "+OK":
        raise RotationError(f"testSecret: {group_id} refused the pending token: {replies.auth}")
    if replies.ping != "+PONG":
        raise RotationError(f"testSecret: {group_id} answered PING after AUTH with {replies.ping}")
    if not replies.unauthenticated_ping.startswith("-NOAUTH"):
        raise RotationError(
            f"testSecret: {group_id} answered PING without AUTH with {replies.unauthenticated_ping}: "
            "it does not require the token"
        )
    logger.info(
        "testSecret: %s (%s:%s) takes the pending token over TLS", group_id, endpoint.host, endpoint.port
    )


# --- ElastiCache -----------------------------------------------------------------------------------


def elasticache_client() -> Any:
    return boto3_module().client("elasticache")


def describe_group(elasticache: Any, group_id: str) -> dict[str, Any]:
    groups = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    if not groups:
        raise RotationError(f"replication group {group_id} not found")
    group: dict[str, Any] = groups[0]
    if not group.get("TransitEncryptionEnabled"):
        raise RotationError(f"replication group {group_id} has no encryption in transit: AUTH needs TLS")
    return group


def primary_endpoint(group: Mapping[str, Any]) -> Endpoint:
    """NodeGroups[0].PrimaryEndpoint (cluster mode disabled), else the configuration endpoint."""
    node_groups = group.get("NodeGroups") or [{}]
    found = node_groups[0].get("PrimaryEndpoint") or group.get("ConfigurationEndpoint") or {}
    host, port = found.get("Address"), found.get("Port")
    if not isinstance(host, str) or not host or not isinstance(port, int):
        raise RotationError(f"replication group {group.get('ReplicationGroupId')} reports no endpoint yet")
    return Endpoint(host, port)


def _wait_until_applied(
    elasticache: Any, group_id: str, endpoint: Endpoint, new_token: str, deadline: float | None
) -> None:
    """Poll until the group is available and accepts the token (right after the call it may still
    report "available" before it turns "modifying"); past the deadline, fail for a retry."""
    timeout = _env_seconds(MODIFY_TIMEOUT_ENV, MODIFY_TIMEOUT)
    until = time.monotonic() + timeout if deadline is None else min(deadline, time.monotonic() + timeout)
    poll = _env_seconds(POLL_ENV, POLL_INTERVAL)
    while True:
        status = describe_group(elasticache, group_id).get("Status")
        if status == AVAILABLE and exchange(endpoint, new_token).authenticated:
            return
        if time.monotonic() + poll > until:
            raise RotationError(
                f"setSecret: replication group {group_id} is still {status!r} without the new token; "
                "Secrets Manager retries the step, which waits again"
            )
        time.sleep(poll)


# --- the token in use and the one ROTATE keeps --------------------------------------------------


def _check_rotate_keeps_token_in_use(sm: Any, arn: str, token: str, endpoint: Endpoint) -> None:
    """Refuse a ROTATE that would retire the token running tasks hold (see the module docstring)."""
    versions: dict[str, list[str]] = sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    applied = version_with(versions, APPLIED_STAGE)
    in_use = _version_in_use(sm, arn, versions)
    if applied is None or in_use is None or applied in (in_use, token):
        return  # the newest token on the group is the one in use, or none is in use yet
    applied_token = _token_of(sm, arn, applied)
    if applied_token and exchange(endpoint, applied_token).authenticated:
        raise RotationError(
            f"setSecret: the group's newest token is that of version {applied}, which no task uses "
            f"(an abandoned rotation?); ROTATE would retire the token in use (version {in_use}). "
            "SET the AWSCURRENT token on the group first (runbook: secret-rotation.md, cache token)"
        )


def _version_in_use(sm: Any, arn: str, versions: Mapping[str, list[str]]) -> str | None:
    """AWSCURRENT if it holds a token; else AWSPREVIOUS (Terraform re-seeded AWSCURRENT), else none."""
    for stage in (CURRENT, PREVIOUS):
        version = version_with(versions, stage)
        if version and _token_of(sm, arn, version):
            return version
    return None


def _token_of(sm: Any, arn: str, version: str) -> str | None:
    try:
        value = sm.get_secret_value(SecretId=arn, VersionId=version).get("SecretString")
        secret = json.loads(value) if isinstance(value, str) else None
    except json.JSONDecodeError:
        return None
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    token = secret.get("token") if isinstance(secret, dict) else None
    return token if isinstance(token, str) and token else None


def _label_applied(sm: Any, arn: str, token: str) -> None:
    """Move APPLIED_STAGE to this version (idempotent)."""
    versions: dict[str, list[str]] = sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    applied = version_with(versions, APPLIED_STAGE)
    if applied == token:
        return
    move: dict[str, str] = {"SecretId": arn, "VersionStage": APPLIED_STAGE, "MoveToVersionId": token}
    if applied is not None:
        move["RemoveFromVersionId"] = applied
    sm.update_secret_version_stage(**move)


# --- RESP over TLS -------------------------------------------------------------------------------


def exchange(endpoint: Endpoint, token: str) -> Exchange:
    """PING, AUTH <token>, PING, pipelined on one TLS connection; the replies, token removed."""
    request = _command("PING") + _command("AUTH", token) + _command("PING")
    try:
        with (
            socket.create_connection((endpoint.host, endpoint.port), timeout=CONNECT_TIMEOUT) as raw,
            tls_context().wrap_socket(raw, server_hostname=endpoint.host) as conn,
        ):
            conn.sendall(request)
            with conn.makefile("rb") as stream:
                replies = [_redact(_read_reply(stream), token) for _ in range(3)]
    except (OSError, ValueError) as exc:  # ssl.SSLError and socket timeouts are OSErrors
        raise RotationError(
            f"cannot talk to {endpoint.host}:{endpoint.port} over TLS: {_redact(str(exc), token)}"
        ) from None
    return Exchange(*replies)


def tls_context() -> ssl.SSLContext:
    """Verified TLS 1.2+ against the system CA store; $REDIS_TLS_VERIFY=false: no verification."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    setting = os.environ.get(TLS_VERIFY_ENV, "true").strip().lower()
    if setting in _FALSE:
        logger.warning("%s=%s: the cache's certificate is not verified", TLS_VERIFY_ENV, setting)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif setting not in _TRUE:
        raise RotationError(f"{TLS_VERIFY_ENV} must be true or false, not {setting!r}")
    return context


def _command(*args: str) -> bytes:
    """A RESP array of bulk strings: what redis-cli sends."""
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _read_reply(stream: BinaryIO) -> str:
    """One reply as its first line ("+OK", "-NOAUTH ...", ":1"), or "$<data>" for a bulk string."""
    line = stream.readline(MAX_REPLY)
    if not line.endswith(b"\r\n"):
        raise ValueError("the server closed the connection or sent an over-long reply")
    kind, body = line[:1], line[1:-2].decode("utf-8", "replace")
    if kind in (b"+", b"-", b":"):
        return kind.decode() + body
    if kind == b"$":
        size = int(body)
        if size < 0:
            return "$nil"
        if size > MAX_REPLY:
            raise ValueError(f"a reply of {size} bytes to PING or AUTH")
        return "$" + stream.read(size + 2)[:size].decode("utf-8", "replace")
    raise ValueError(f"unexpected reply type {kind!r}")


def _redact(text: str, token: str) -> str:
    """A reply or error as it may be logged: without the token, at most 200 characters."""
    return text.replace(token, "<token>")[:200] if token else text[:200]


# --- the secret ----------------------------------------------------------------------------------


def replication_group_id(secret: Mapping[str, Any]) -> str:
    if secret.get("engine", ENGINE) != ENGINE:
        raise RotationError(f"the secret's engine is {secret.get('engine')!r}, not {ENGINE}")
    group_id = secret.get("replication_group_id")
    if not isinstance(group_id, str) or not _GROUP_ID.match(group_id):
        raise RotationError(
            f"the secret's replication_group_id {group_id!r} is not a replication group id "
            "(1-40 letters, digits and hyphens, starting with a letter)"
        )
    return group_id


def auth_token(secret: Mapping[str, Any]) -> str:
    """The secret's token, if ElastiCache would take it (the message never quotes it)."""
    token = secret.get("token")
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise RotationError(
            "the secret's token is missing or not 16-128 letters, digits and !&#$^<>- characters"
        )
    return token


def _deadline(context: object) -> float | None:
    """time.monotonic() by which a step must give up: Lambda's remaining time less a margin."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    return time.monotonic() + max(0.0, int(remaining()) / 1000 - LAMBDA_MARGIN)


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise RotationError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise RotationError(f"{name} must not be negative")
    return value
