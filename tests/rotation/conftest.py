"""A real PostgreSQL server and a TLS RESP server for the rotation tests; Secrets Manager, ECS and
ElastiCache from moto.

PostgreSQL: initdb in a temporary directory (scram-sha-256 everywhere, TLS on with a throwaway
certificate), started on a free port of 127.0.0.1, stopped at the end of the session. Like RDS, the
secret's master user is not a superuser: it has CREATEROLE and CREATEDB and owns the database.
initdb refuses to run as root, so as root the server runs as the `postgres` (else `nobody`) user.

Secrets Manager: moto cannot run a rotation Lambda (it invokes functions through Docker), and its
rotate_secret, once the function returns, labels the new version AWSCURRENT itself whatever the
function did. So `Rotation.start()` does only what Secrets Manager does when a rotation starts,
exactly as moto's rotate_secret does before it invokes the function
(moto/secretsmanager/models.py): a new version id, the ClientRequestToken, labelled AWSPENDING and
holding no value yet. The tests then call `handler` for each step with that token, as Secrets
Manager would. RotationEnabled comes from moto's own rotate_secret (rotation rules, no function) on
the secret before it has a value, so that call creates no version.

ElastiCache: moto 5 accepts ModifyReplicationGroup's AuthToken and ignores it (any token, even a
short one; AuthTokenEnabled stays false), and its endpoints are names under cache.amazonaws.com.
`FakeElastiCache` joins moto's API to a RespServer (resp_server.py) for the length of a test.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pg8000.native
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import utcnow
from moto.elasticache.exceptions import ElastiCacheException
from moto.elasticache.models import elasticache_backends
from moto.elasticache.responses import ElastiCacheResponse
from moto.secretsmanager.models import secretsmanager_backends

from deployment_infra.emulator import free_port
from deployment_infra.errors import InfraError
from deployment_infra.lambdas import common
from deployment_infra.lambdas import rotate_postgres as rp
from deployment_infra.lambdas import rotate_redis_auth as rra
from deployment_infra.ops import postgres_local as pgl
from tests.rotation.resp_server import Certificates, RespServer, ask, make_certificates

REGION = "af-south-1"
SUPERUSER = "postgres"
MASTER = "rds_master"  # what RDS calls the master user: CREATEROLE, CREATEDB, not a superuser
_names = itertools.count(1)


def postgres_bindir() -> Path:
    """The PostgreSQL binaries the backup drill uses too (deployment_infra.ops.postgres_local)."""
    try:
        return pgl.postgres_bindir()
    except InfraError as exc:
        pytest.fail(str(exc))


@dataclass
class Postgres:
    host: str
    port: int
    bindir: Path
    base: Path
    run_as: str | None
    passwords: dict[str, str] = field(default_factory=dict)

    def connect(self, user: str, password: str, database: str = "postgres") -> Any:
        return pg8000.native.Connection(
            user=user, password=password, host=self.host, port=self.port, database=database, timeout=5
        )

    def superuser(self, database: str = "postgres") -> Any:
        return self.connect(SUPERUSER, self.passwords[SUPERUSER], database)

    def run(self, sql: str, database: str = "postgres", **params: Any) -> list[list[Any]]:
        """One statement as the superuser (tests use it to look, or to act behind the Lambda's back)."""
        con = self.superuser(database)
        try:
            return list(con.run(sql, **params) or [])
        finally:
            con.close()


def _pg(cmd: list[str], run_as: str | None, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
    return subprocess.run(
        cmd, user=run_as, env=env, capture_output=True, text=True, check=False, timeout=120, **kwargs
    )


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway TLS key and certificate, so that sslmode=require has a server to talk to."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "server.key", directory / "server.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    bindir = postgres_bindir()
    run_as = pgl.server_user()  # initdb: "cannot be run as root"
    # not pytest's tmp_path: its parent is private to root, and the server may run as another user
    base = Path(tempfile.mkdtemp(prefix="rotation-pg-"))
    superuser_password = uuid.uuid4().hex
    (base / "pwfile").write_text(superuser_password + "\n")
    key, cert = _self_signed_certificate(base)
    if run_as:
        account = pwd.getpwnam(run_as)
        for path in (base, base / "pwfile", key, cert):
            os.chown(path, account.pw_uid, account.pw_gid)
    data = base / "data"
    init = _pg(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "-A",
            "scram-sha-256",
            f"--pwfile={base / 'pwfile'}",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        run_as,
    )
    assert init.returncode == 0, f"initdb failed: {init.stderr or init.stdout}"
    port = free_port()
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{base}'\n"
            f"ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )
    pg_ctl = str(bindir / "pg_ctl")
    start = _pg([pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60", "start"], run_as)
    log = (base / "server.log").read_text(errors="replace") if (base / "server.log").exists() else ""
    assert start.returncode == 0, f"pg_ctl start failed: {start.stderr}\n{log[-2000:]}"
    server = Postgres("127.0.0.1", port, bindir, base, run_as, {SUPERUSER: superuser_password})
    try:
        master_password = uuid.uuid4().hex
        server.run(f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB PASSWORD '{master_password}'")
        server.passwords[MASTER] = master_password
        yield server
    finally:
        _pg([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], run_as)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, with credentials that cannot reach AWS and no endpoint override."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", common.ENDPOINT_ENV, common.RESTART_ENV):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        yield


class SecretRotation:
    """A rotated secret and Secrets Manager's part of its rotations, whatever function rotates it."""

    handler: ClassVar[Callable[[Mapping[str, Any], object], None]]
    arn: str
    initial: dict[str, Any]

    def __init__(self) -> None:
        self.sm = boto3.client("secretsmanager", region_name=REGION)

    def create(self, name: str, initial: dict[str, Any]) -> None:
        """The secret with rotation enabled, and Terraform's seed (`initial`) as its first version."""
        self.arn = self.sm.create_secret(Name=name)["ARN"]
        # rotation rules and no function: moto only records RotationEnabled (no version exists yet)
        self.sm.rotate_secret(SecretId=self.arn, RotationRules={"AutomaticallyAfterDays": 30})
        self.initial = initial
        self.sm.put_secret_value(SecretId=self.arn, SecretString=json.dumps(self.initial))

    # --- what Secrets Manager does ---

    def start(self) -> str:
        """RotateSecret's first act: a new version id labelled AWSPENDING, without a value (see above)."""
        secret = secretsmanager_backends[DEFAULT_ACCOUNT_ID][REGION].secrets[self.arn]
        token = str(uuid.uuid4())
        secret.remove_version_stages_from_old_versions(["AWSPENDING"])
        secret.versions[token] = {
            "createdate": int(time.time()),
            "version_id": token,
            "version_stages": ["AWSPENDING"],
        }
        return token

    def step(self, token: str, step: str) -> None:
        type(self).handler({"SecretId": self.arn, "ClientRequestToken": token, "Step": step}, None)

    def rotate(self) -> str:
        token = self.start()
        for step in common.STEPS:
            self.step(token, step)
        return token

    def reseed(self) -> str:
        """What Terraform does when the secret's fields change: a new seed (no password or token) as
        AWSCURRENT.

        Terraform's PutSecretValue with AWSCURRENT would do; moto, though, labels AWSPREVIOUS by a
        "default version" of its own that update_secret_version_stage never moves, and after a
        rotation ends with two AWSCURRENT versions. So: put the seed unlabelled, then move AWSCURRENT
        as AWS does for that PutSecretValue (AWSPREVIOUS follows to the version it leaves)."""
        seed = self.sm.put_secret_value(
            SecretId=self.arn, SecretString=json.dumps(self.initial), VersionStages=["TERRAFORM_SEED"]
        )["VersionId"]
        self.sm.update_secret_version_stage(
            SecretId=self.arn,
            VersionStage="AWSCURRENT",
            MoveToVersionId=seed,
            RemoveFromVersionId=self.version_with("AWSCURRENT"),
        )
        return str(seed)

    # --- what the tests look at ---

    def stages(self) -> dict[str, list[str]]:
        versions = self.sm.describe_secret(SecretId=self.arn)["VersionIdsToStages"]
        return {v: sorted(s) for v, s in versions.items()}

    def version_with(self, stage: str) -> str | None:
        found = [v for v, stages in self.stages().items() if stage in stages]
        assert len(found) <= 1, f"{stage} on {found}"
        return found[0] if found else None

    def value(self, stage: str = "AWSCURRENT", version_id: str | None = None) -> dict[str, Any]:
        kwargs = {"SecretId": self.arn, "VersionStage": stage}
        if version_id:
            kwargs["VersionId"] = version_id
        result: dict[str, Any] = json.loads(self.sm.get_secret_value(**kwargs)["SecretString"])
        return result

    def values(self) -> dict[str, str | None]:
        """Every version's stored value (None: a version without one yet)."""
        out: dict[str, str | None] = {}
        for version in self.stages():
            try:
                out[version] = self.sm.get_secret_value(SecretId=self.arn, VersionId=version)["SecretString"]
            except self.sm.exceptions.ResourceNotFoundException:
                out[version] = None
        return out


class Rotation(SecretRotation):
    """One app secret (/ngapp/test/db/appN), its own database and users, and Secrets Manager's part."""

    handler = staticmethod(rp.handler)

    def __init__(self, pg: Postgres, sslmode: str = "disable") -> None:
        super().__init__()
        n = next(_names)
        self.pg = pg
        self.base = f"app{n}"
        self.group = f"{self.base}_group"
        self.dbname = f"appdb{n}"
        master = pg.connect(MASTER, pg.passwords[MASTER])
        try:
            master.run(f"CREATE DATABASE {self.dbname}")
        finally:
            master.close()
        self.master_arn = self.sm.create_secret(
            Name=f"/ngapp/test/db/master{n}",
            SecretString=json.dumps({"username": MASTER, "password": pg.passwords[MASTER]}),
        )["ARN"]
        self.create(
            f"/ngapp/test/db/app{n}",
            {
                "engine": "postgres",
                "host": pg.host,
                "port": pg.port,
                "dbname": self.dbname,
                "username": self.base,
                "masterarn": self.master_arn,
                "sslmode": sslmode,
            },
        )

    def logs_in(self, creds: dict[str, Any]) -> bool:
        """True when the credentials open a session on the database; False on an auth failure."""
        try:
            con = self.pg.connect(creds["username"], creds["password"], self.dbname)
        except pg8000.native.DatabaseError as exc:
            if exc.args and isinstance(exc.args[0], dict) and exc.args[0].get("C") in {"28P01", "28000"}:
                return False
            raise
        try:
            return bool(con.run("SELECT 1") == [[1]])
        finally:
            con.close()

    def roles(self) -> dict[str, Any]:
        """The users and group as the server keeps them (password verifiers included)."""
        names = [self.base, self.base + rp.CLONE_SUFFIX, self.group]
        rows = self.pg.run(
            "SELECT r.rolname, r.rolcanlogin, a.rolpassword, r.rolconfig FROM pg_roles r "
            "JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = ANY(:names) ORDER BY 1",
            names=names,
        )
        members = self.pg.run(
            "SELECT g.rolname, u.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = :g ORDER BY 2",
            g=self.group,
        )
        return {"roles": rows, "members": members}

    def snapshot(self) -> dict[str, Any]:
        return {"stages": self.stages(), "values": self.values(), "db": self.roles()}


@pytest.fixture
def rotation(postgres: Postgres, aws: None) -> Rotation:
    return Rotation(postgres)


@pytest.fixture
def rotated(rotation: Rotation) -> Rotation:
    """A secret after its first (bootstrap) rotation: the base user exists and is AWSCURRENT."""
    rotation.rotate()
    return rotation


# --- ElastiCache and the cache token ---------------------------------------------------------------


@pytest.fixture(scope="session")
def tls_certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("resp-tls"))


@pytest.fixture
def resp_server(tls_certificates: Certificates) -> Iterator[RespServer]:
    server = RespServer(tls_certificates)
    try:
        yield server
    finally:
        server.close()


class FakeElastiCache:
    """moto's ElastiCache, with the AUTH tokens of its replication groups served by a RespServer.

    For the length of a test (monkeypatch undoes it):

    - `attach` points a group's primary endpoint at the RespServer (localhost:<port>) where AWS
      reports master.<id>.<hash>.afs1.cache.amazonaws.com:6379. The fake's data changes, not the
      Lambda: it has no test-only endpoint override that could be left set in AWS.
    - ModifyReplicationGroup with an AuthToken is answered as AWS answers it: a token ElastiCache
      refuses (16-128 characters, punctuation only !&#$^<>-), a group without encryption in transit
      or not "available" is an error. Otherwise the group is "modifying" for the next
      `modify_polls` DescribeReplicationGroups calls, then the strategy applies to the server's
      tokens: ROTATE keeps the newest token the group had and adds the new one (ElastiCache holds
      at most two, so the one before that stops working: this is the "alternating" the Lambda
      relies on), SET keeps the new one only, DELETE none. AuthTokenEnabled and
      AuthTokenLastModifiedDate follow.

    Not deployment_infra.emulator_shims.apply_all(): it patches moto for the rest of the process for
    good (other tests show moto's gaps unpatched), and its ModifyReplicationGroup keeps no token
    that a server could check.
    """

    def __init__(
        self, server: RespServer, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.server = server
        self.certificates = certificates
        self.modify_polls = 2
        self.calls: list[dict[str, Any]] = []  # each ModifyReplicationGroup with a token, token left out
        self._pending: dict[str, list[Any]] = {}  # group id -> [token, strategy, describes left]
        original_modify = ElastiCacheResponse.modify_replication_group
        original_describe = ElastiCacheResponse.describe_replication_groups
        fake = self

        def modify_replication_group(response: Any) -> Any:
            params = response._get_params()
            if "AuthToken" in params or "AuthTokenUpdateStrategy" in params:
                fake.modify(response.elasticache_backend, params)
            return original_modify(response)

        def describe_replication_groups(response: Any) -> Any:
            fake.tick(response.elasticache_backend)
            return original_describe(response)

        monkeypatch.setattr(ElastiCacheResponse, "modify_replication_group", modify_replication_group)
        monkeypatch.setattr(ElastiCacheResponse, "describe_replication_groups", describe_replication_groups)

    def group(self, group_id: str) -> Any:
        """moto's object itself: reading it through the API would advance a modification."""
        return elasticache_backends[DEFAULT_ACCOUNT_ID][REGION].replication_groups[group_id]

    def attach(self, group_id: str) -> None:
        node_group = self.group(group_id).node_groups[0]
        node_group["primary_endpoint"] = {"address": "localhost", "port": self.server.port}
        node_group["primary_endpoint_address"] = "localhost"

    def modify(self, backend: Any, params: dict[str, Any]) -> None:
        rg = backend.describe_replication_groups(params.get("ReplicationGroupId"))[0]
        token, strategy = params.get("AuthToken"), params.get("AuthTokenUpdateStrategy") or "ROTATE"
        if rg.status != "available":
            raise ElastiCacheException(
                "InvalidReplicationGroupState", "Replication group must be in available state to modify."
            )
        if not rg.transit_encryption_enabled:
            raise ElastiCacheException(
                "InvalidParameterCombination", "AUTH token needs encryption in transit enabled."
            )
        if strategy == "DELETE" and token:
            raise ElastiCacheException("InvalidParameterCombination", "No AuthToken with DELETE.")
        if strategy != "DELETE" and not re.fullmatch(r"[A-Za-z0-9!&#$^<>-]{16,128}", token or ""):
            raise ElastiCacheException("InvalidParameterValue", "Invalid AuthToken.")
        self.calls.append(
            {
                "ReplicationGroupId": rg.replication_group_id,
                "AuthTokenUpdateStrategy": strategy,
                "ApplyImmediately": params.get("ApplyImmediately"),
            }
        )
        rg.status = "modifying"
        self._pending[rg.replication_group_id] = [token, strategy, self.modify_polls]

    def tick(self, backend: Any) -> None:
        """A DescribeReplicationGroups call: modifications come closer to their end."""
        for group_id, pending in list(self._pending.items()):
            pending[2] -= 1
            if pending[2] <= 0:
                self._apply(group_id)

    def finish(self) -> None:
        """Every modification under way ends now."""
        for group_id in list(self._pending):
            self._apply(group_id)

    def _apply(self, group_id: str) -> None:
        token, strategy, _ = self._pending.pop(group_id)
        tokens = self.server.current_tokens()
        if strategy == "ROTATE":
            newest_before = [t for t in tokens if t != token][-1:]
            tokens = [*newest_before, token]
        else:
            tokens = [token] if strategy == "SET" else []
        self.server.set_tokens(tokens)
        rg = self.group(group_id)
        rg.status = "available"
        rg.auth_token_enabled = bool(tokens)
        rg.auth_token_last_modified_date = utcnow()


@pytest.fixture
def elasticache(
    aws: None, resp_server: RespServer, tls_certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> FakeElastiCache:
    """The fake ElastiCache; the Lambda verifies the RespServer's certificate against the system
    store, which trusts the test CA through $SSL_CERT_FILE; it polls every 10 ms."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_certificates.ca))
    for key in (rra.TLS_VERIFY_ENV, rra.MODIFY_TIMEOUT_ENV):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv(rra.POLL_ENV, "0.01")
    return FakeElastiCache(resp_server, tls_certificates, monkeypatch)


class CacheRotation(SecretRotation):
    """One cache secret (/ngapp/test/cache/authN), its replication group, and Secrets Manager's part."""

    handler = staticmethod(rra.handler)

    def __init__(self, cache: FakeElastiCache) -> None:
        super().__init__()
        n = next(_names)
        self.cache = cache
        self.server = cache.server
        self.group_id = f"ngapp-test-cache{n}"
        self.ec = boto3.client("elasticache", region_name=REGION)
        self.ec.create_replication_group(
            ReplicationGroupId=self.group_id,
            ReplicationGroupDescription="redis cache ngapp-test",
            Engine="redis",
            CacheNodeType="cache.t4g.micro",
            NumCacheClusters=1,
            TransitEncryptionEnabled=True,
            TransitEncryptionMode="required",
        )
        cache.attach(self.group_id)
        self.create(f"/ngapp/test/cache/auth{n}", {"engine": "redis", "replication_group_id": self.group_id})

    def ask(self, *commands: list[str]) -> list[str]:
        """The server's replies to commands sent on one connection, by the tests' own client."""
        return ask(self.server.port, *commands, ca=self.cache.certificates.ca)

    def authenticates(self, token: str) -> bool:
        return self.ask(["AUTH", token], ["PING"]) == ["+OK", "+PONG"]

    def open_without_token(self) -> bool:
        return self.ask(["PING"]) == ["+PONG"]

    def group(self) -> Any:
        return self.cache.group(self.group_id)

    def snapshot(self) -> dict[str, Any]:
        group = self.group()
        return {
            "stages": self.stages(),
            "values": self.values(),
            "tokens": self.server.current_tokens(),
            "group": (group.status, group.auth_token_enabled, group.auth_token_last_modified_date),
            "modifications": len(self.cache.calls),
        }


@pytest.fixture
def cache_rotation(elasticache: FakeElastiCache) -> CacheRotation:
    return CacheRotation(elasticache)


@pytest.fixture
def cache_rotated(cache_rotation: CacheRotation) -> CacheRotation:
    """A cache secret after its first (bootstrap) rotation: the group requires the AWSCURRENT token."""
    cache_rotation.rotate()
    return cache_rotation


# --- ECS ---------------------------------------------------------------------------------------------


class Services:
    """Three ECS services in moto; finishSecret is told to roll some of them."""

    def __init__(self) -> None:
        self.ecs = boto3.client("ecs", region_name=REGION)
        self.ecs.create_cluster(clusterName="ngapp-test")
        self.ecs.register_task_definition(
            family="api", containerDefinitions=[{"name": "api", "image": "api:1", "memory": 512}]
        )
        self.arns = {
            name: self.ecs.create_service(
                cluster="ngapp-test",
                serviceName=name,
                taskDefinition="api",
                desiredCount=2,
                deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200},
            )["service"]["serviceArn"]
            for name in ("api", "worker", "unrelated")
        }

    def deployments(self) -> dict[str, str]:
        """Each service's primary deployment id: moto gives a forced new deployment a new id."""
        described = self.ecs.describe_services(cluster="ngapp-test", services=list(self.arns))["services"]
        return {s["serviceName"]: s["deployments"][0]["id"] for s in described}
