"""Secrets Manager rotation for PostgreSQL with alternating users.

Secrets Manager calls `handler` four times per rotation (createSecret, setSecret, testSecret,
finishSecret) with the same ClientRequestToken: the id of the new secret version, which it labels
AWSPENDING before the first call (common.py: the checks, finishSecret and the ECS roll, shared with
rotate_redis_auth.py). The secret is JSON:

    {"engine": "postgres", "host": ..., "port": 5432, "dbname": ..., "username": "app",
     "password": ... (absent before the first rotation), "masterarn": <RDS-managed master secret>,
     "group": "app_group" (optional), "sslmode": "require" | "disable" (optional, default require)}

Alternating users: each rotation gives the *other* user ("app" <-> "app_clone") a new password and
then makes it AWSCURRENT, so the credentials that running tasks hold (now AWSPREVIOUS) keep working
until the tasks have rolled. Both users are members of a NOLOGIN group role that owns the privileges
and, through `ALTER ROLE ... SET role`, the objects they create, so either user can use everything.
The first rotation of a secret with no password bootstraps the base user; after Terraform replaced
AWSCURRENT with a new seed (no password) it changes the user that AWSPREVIOUS, still in use, is not.

AWSCURRENT moves only in finishSecret, after testSecret logged in with the new credentials: a failure
in any earlier step leaves the working credentials where they were.

finishSecret then rolls the ECS services in $RESTART_SERVICE_ARNS (a JSON list of service ARNs) with
a forced new deployment, so that new tasks read the new AWSCURRENT; their deployment configuration
keeps 100% healthy during the roll. The code runs in Lambda with boto3 from the runtime and pg8000
from the zip that `infra package lambdas` builds. It never logs a password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pg8000.native

from deployment_infra.lambdas.common import (
    CURRENT,
    PENDING,
    PREVIOUS,
    RotationError,
    get_secret_dict,
    optional_secret_dict,
    pending_exists,
    run,
)

logger = logging.getLogger(__name__)
# Lambda's root logger stops at WARNING; the steps are worth an INFO line each in CloudWatch
logger.setLevel(logging.INFO)

CLONE_SUFFIX = "_clone"
GROUP_SUFFIX = "_group"
PASSWORD_LENGTH = 32
# characters that break a connection string or URL (postgres://user:password@host/db) unescaped
EXCLUDED_CHARACTERS = "/@\"'\\ :?#%&[]"
CONNECT_TIMEOUT = 5  # seconds: a rotation step fails fast rather than hang until Lambda's timeout
SCRAM_ITERATIONS = 4096  # PostgreSQL's default
SSL_MODES = {"require": True, "disable": False}  # pg8000: True = TLS or fail; False = plain

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}\Z")


@dataclass(frozen=True)
class Database:
    """Where the secret's users live, read from the secret."""

    host: str
    port: int
    dbname: str
    sslmode: str


def handler(event: Mapping[str, Any], context: object) -> None:
    """The Lambda entry point: validate the token like AWS's templates, then run one step."""
    run(event, {"createSecret": create_secret, "setSecret": set_secret, "testSecret": test_secret}, logger)


def create_secret(sm: Any, arn: str, token: str) -> None:
    """Store the other user with a new password as the AWSPENDING version (once per token)."""
    current = get_secret_dict(sm, arn, stage=CURRENT)
    if pending_exists(sm, arn, token):
        logger.info("createSecret: version %s already holds the pending credentials", token)
        return
    pending = dict(current)  # keeps host, masterarn and any key this function does not know
    pending["username"] = pending_username(sm, arn, current)
    group_name(pending)
    pending["password"] = sm.get_random_password(
        PasswordLength=PASSWORD_LENGTH, ExcludeCharacters=EXCLUDED_CHARACTERS, IncludeSpace=False
    )["RandomPassword"]
    database(pending)  # refuse a malformed secret now, not in setSecret
    sm.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(pending), VersionStages=[PENDING]
    )
    logger.info(
        "createSecret: new password for user %s stored as AWSPENDING (%s)", pending["username"], token
    )


def pending_username(sm: Any, arn: str, current: Mapping[str, Any]) -> str:
    """The user whose password this rotation changes: never the one running tasks use.

    Normally the other user than AWSCURRENT's. AWSCURRENT without a password is either the first
    rotation (its user is created) or a new seed that Terraform made AWSCURRENT when the secret's
    fields changed; then tasks still use AWSPREVIOUS's credentials, so its user is left alone.
    """
    username = role_name(current.get("username"), "username")
    if current.get("password"):
        return role_name(other_username(username), "username")
    previous = optional_secret_dict(sm, arn, PREVIOUS)
    previous_user = previous.get("username") if previous and previous.get("password") else None
    if isinstance(previous_user, str) and base_username(previous_user) == base_username(username):
        return role_name(other_username(previous_user), "username")
    return username


def set_secret(sm: Any, arn: str, token: str) -> None:
    """As the master user: make the group, give the pending user its password and the group."""
    pending = get_secret_dict(sm, arn, stage=PENDING, version_id=token)
    current = get_secret_dict(sm, arn, stage=CURRENT)
    db = database(pending)
    user = role_name(pending.get("username"), "username")
    group = group_name(pending)
    current_user = role_name(current.get("username"), "username")
    master_arn = pending.get("masterarn")
    if not isinstance(master_arn, str) or not master_arn:
        raise RotationError("the secret has no masterarn (the ARN of the master user's secret)")
    master = get_secret_dict(sm, master_arn, stage=CURRENT)
    master_user = master.get("username")
    if not isinstance(master_user, str) or not master_user:
        raise RotationError(f"the master secret {master_arn} has no username")
    if master_user in {user, current_user, group}:
        raise RotationError(f"refusing to rotate {master_user}: it is the master user")
    verifier = scram_sha256_verifier(str(pending["password"]), _salt(token, user))
    con = connect(db, master_user, str(master.get("password", "")))
    try:
        con.run("START TRANSACTION")
        if not _role_exists(con, group):
            con.run(f"CREATE ROLE {quote_ident(group)} NOLOGIN")
            logger.info("setSecret: created group role %s", group)
        if _role_exists(con, user):
            con.run(f"ALTER ROLE {quote_ident(user)} WITH LOGIN PASSWORD {quote_literal(verifier)}")
            logger.info("setSecret: set a new password for user %s", user)
        else:
            con.run(
                f"CREATE ROLE {quote_ident(user)} WITH LOGIN PASSWORD {quote_literal(verifier)} "
                f"IN ROLE {quote_ident(group)}"
            )
            logger.info("setSecret: created user %s in %s", user, group)
        _ensure_member(con, user, group)
        if current_user != user and _role_exists(con, current_user):
            _ensure_member(con, current_user, group)
        con.run("COMMIT")
    finally:
        con.close()  # without COMMIT the server rolls the transaction back


def test_secret(sm: Any, arn: str, token: str) -> None:
    """Log in with the pending credentials and check that they carry the group's privileges."""
    pending = get_secret_dict(sm, arn, stage=PENDING, version_id=token)
    db = database(pending)
    user = role_name(pending.get("username"), "username")
    group = group_name(pending)
    con = connect(db, user, str(pending.get("password", "")))
    try:
        con.run("SELECT 1")
        rows = con.run("SELECT session_user, current_user, pg_has_role(session_user, :g, 'MEMBER')", g=group)
    finally:
        con.close()
    session_user, acting_as, member = rows[0]
    if session_user != user or not member:
        raise RotationError(f"testSecret: {user} logged in but is not a member of {group}")
    if acting_as != group:
        raise RotationError(f"testSecret: {user}'s sessions act as {acting_as}, not as {group}")
    logger.info("testSecret: %s logs in and acts as %s", user, group)


# --- names and values ----------------------------------------------------------------------------


def role_name(value: object, what: str) -> str:
    """A role name this function is willing to put in SQL: lower-case, at most 63 bytes."""
    if not isinstance(value, str) or not _ROLE_NAME.match(value):
        raise RotationError(f"{what} {value!r} is not a valid role name (^[a-z_][a-z0-9_]{{0,62}}$)")
    return value


def base_username(username: str) -> str:
    return username.removesuffix(CLONE_SUFFIX)


def other_username(username: str) -> str:
    """The user the next rotation gives a new password: app -> app_clone -> app."""
    base = base_username(username)
    return base if username.endswith(CLONE_SUFFIX) else base + CLONE_SUFFIX


def group_name(secret: Mapping[str, Any]) -> str:
    group = secret.get("group") or base_username(role_name(secret.get("username"), "username")) + GROUP_SUFFIX
    return role_name(group, "group")


def database(secret: Mapping[str, Any]) -> Database:
    """The connection target of a secret; a malformed one is an error naming the key."""
    for key in ("host", "dbname"):
        if not isinstance(secret.get(key), str) or not secret[key]:
            raise RotationError(f"the secret has no {key}")
    port = secret.get("port", 5432)
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise RotationError(f"the secret's port {port!r} is not a number") from None
    sslmode = secret.get("sslmode", "require")
    if sslmode not in SSL_MODES:
        raise RotationError(f"the secret's sslmode {sslmode!r} is not one of {', '.join(sorted(SSL_MODES))}")
    if secret.get("engine", "postgres") != "postgres":
        raise RotationError(f"the secret's engine is {secret.get('engine')!r}, not postgres")
    return Database(str(secret["host"]), port, str(secret["dbname"]), str(sslmode))


def connect(db: Database, user: str, password: str) -> pg8000.native.Connection:
    return pg8000.native.Connection(
        user=user,
        password=password,
        host=db.host,
        port=db.port,
        database=db.dbname,
        ssl_context=SSL_MODES[db.sslmode],
        timeout=CONNECT_TIMEOUT,
        application_name="secret-rotation",
    )


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier. CREATE/ALTER ROLE take no bind parameters, so names go in
    the text; they are also validated by role_name, this is the second fence."""
    if not name or "\x00" in name:
        raise ValueError("an identifier must be non-empty and without NUL")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """An E'' string literal: the same meaning whatever standard_conforming_strings says."""
    if "\x00" in value:
        raise ValueError("a literal cannot hold NUL")
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def scram_sha256_verifier(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> str:
    """What PostgreSQL stores for a password (RFC 5802/7677). Sending this instead of the password
    keeps the password out of the server's statement log and pg_stat_activity."""
    if not password or not all(33 <= ord(c) < 127 for c in password):
        # printable ASCII needs no SASLprep; get_random_password only makes such passwords
        raise RotationError("the pending password must be non-empty printable ASCII")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("ascii"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
        f"${b64(stored_key).decode()}:{b64(server_key).decode()}"
    )


def _salt(token: str, user: str) -> bytes:
    """Unique per rotation and user (the token is a random UUID); the same on a retried setSecret,
    so that running the step again writes the same verifier and changes nothing."""
    return hashlib.sha256(f"rotate_postgres:{token}:{user}".encode()).digest()[:16]


# --- SQL helpers ---------------------------------------------------------------------------------


def _role_exists(con: Any, name: str) -> bool:
    return bool(con.run("SELECT 1 FROM pg_roles WHERE rolname = :n", n=name))


def _ensure_member(con: Any, user: str, group: str) -> None:
    """`user` in `group`, and its sessions act as the group, so objects it creates belong to the group."""
    member = con.run(
        "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = :g AND u.rolname = :u",
        g=group,
        u=user,
    )
    if not member:
        con.run(f"GRANT {quote_ident(group)} TO {quote_ident(user)}")
        logger.info("setSecret: granted %s to %s", group, user)
    con.run(f"ALTER ROLE {quote_ident(user)} SET role TO {quote_ident(group)}")
