"""A local stand-in for the AWS AppConfig agent: what the reference service reads its flags from.

On ECS the AppConfig agent runs next to the service and answers
`GET /applications/<app>/environments/<env>/configurations/<profile>` on localhost:2772 with the
configuration deployed to that environment. The emulator has no such agent, so on the local target
this stdlib server plays its part:

    python -m deployment_infra.envs.flags_agent --port P --region R --endpoint-url URL

It finds the application, environment and profile by name (or id) with the AppConfig API, takes the
newest COMPLETE deployment of that profile to that environment, reads the hosted configuration
version it deployed and answers like the agent: a feature-flag profile (AWS.AppConfig.FeatureFlags)
in the evaluated form `{"<flag>": {"enabled": true, "<attribute>": ...}}`, any other profile as
stored. Answers are cached for --poll-seconds (the agent polls AppConfig on an interval too); when a
refresh fails, the last good answer is served, as the agent does. Unknown names are 404 JSON.
Not emulated: multi-variant flags (Context header), the agent's metrics and its prefetch list.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

LOG = logging.getLogger(__name__)
AGENT_PORT = 2772  # the AppConfig agent's default
DEFAULT_POLL_SECONDS = 5.0
FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"
JSON_TYPE = "application/json"
PATH = re.compile(r"^/applications/([^/]+)/environments/([^/]+)/configurations/([^/]+)$")


class NotFoundError(Exception):
    """A name that matches nothing, or a profile never deployed to the environment (HTTP 404)."""


class InvalidConfigurationError(Exception):
    """Deployed content that is not what its profile type says (HTTP 500, like a failed evaluation)."""


@dataclass(frozen=True)
class Configuration:
    """One answer: the body the agent would send, its content type and the version it came from."""

    body: bytes
    content_type: str
    version: str


def evaluate_feature_flags(content: object) -> dict[str, dict[str, Any]]:
    """The agent's evaluated form of an AWS.AppConfig.FeatureFlags document.

    `{"version": "1", "flags": {name: {...}}, "values": {name: {"enabled": ..., attr: ...}}}` becomes
    `{name: {"enabled": bool, attr: ...}}` for every flag in "flags"; a flag without a value is off;
    metadata keys ("_createdAt", "_updatedAt", ...) are left out.
    """
    if not isinstance(content, dict) or str(content.get("version")) != "1":
        raise InvalidConfigurationError('a feature flag document needs "version": "1"')
    flags, values = content.get("flags"), content.get("values", {})
    if not isinstance(flags, dict) or not isinstance(values, dict):
        raise InvalidConfigurationError('"flags" and "values" must be JSON objects')
    evaluated: dict[str, dict[str, Any]] = {}
    for name in flags:
        value = values.get(name) or {}
        if not isinstance(value, dict):
            raise InvalidConfigurationError(f"the value of flag {name!r} must be a JSON object")
        attributes = {k: v for k, v in value.items() if k != "enabled" and not k.startswith("_")}
        evaluated[name] = {"enabled": value.get("enabled") is True, **attributes}
    return evaluated


def _items(client: Any, operation: str, **params: str) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get("Items", [])


def _find(items: Iterator[dict[str, Any]], key: str, what: str) -> dict[str, Any]:
    """The item whose Name is `key` (or, failing that, whose Id is: the agent takes either)."""
    listed = list(items)
    for field in ("Name", "Id"):
        for item in listed:
            if item.get(field) == key:
                return item
    raise NotFoundError(f"{what} {key!r} not found")


class AppConfigReader:
    """Reads what is deployed, through the AppConfig control-plane API (boto3 client "appconfig")."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def deployed(self, application: str, environment: str, profile: str) -> Configuration:
        app = _find(_items(self.client, "list_applications"), application, "application")
        app_id = str(app["Id"])
        env = _find(
            _items(self.client, "list_environments", ApplicationId=app_id), environment, "environment"
        )
        prof = _find(
            _items(self.client, "list_configuration_profiles", ApplicationId=app_id),
            profile,
            "configuration profile",
        )
        if prof.get("LocationUri", "hosted") != "hosted":
            raise NotFoundError(f"configuration profile {profile!r} is not hosted by AppConfig")
        version = self._deployed_version(app_id, str(env["Id"]), prof)
        if version is None:
            raise NotFoundError(
                f"configuration profile {profile!r} has no completed deployment"
                f" to environment {environment!r}"
            )
        hosted = self.client.get_hosted_configuration_version(
            ApplicationId=app_id, ConfigurationProfileId=prof["Id"], VersionNumber=int(version)
        )
        content: bytes = hosted["Content"].read()
        if prof.get("Type") != FEATURE_FLAGS:
            return Configuration(content, str(hosted.get("ContentType") or JSON_TYPE), version)
        try:
            document = json.loads(content)
        except ValueError as exc:
            raise InvalidConfigurationError(f"version {version} is not JSON: {exc}") from exc
        body = json.dumps(evaluate_feature_flags(document), separators=(",", ":")).encode()
        return Configuration(body, JSON_TYPE, version)

    def _deployed_version(self, app_id: str, env_id: str, profile: Mapping[str, Any]) -> str | None:
        """ConfigurationVersion of the newest COMPLETE deployment of `profile`, or None."""
        summaries = [
            d
            for d in _items(self.client, "list_deployments", ApplicationId=app_id, EnvironmentId=env_id)
            if d.get("State") == "COMPLETE" and d.get("ConfigurationName") == profile["Name"]
        ]
        for summary in sorted(summaries, key=lambda d: int(d["DeploymentNumber"]), reverse=True):
            # the summary names the profile; two profiles may share a name, the id settles it
            deployment = self.client.get_deployment(
                ApplicationId=app_id, EnvironmentId=env_id, DeploymentNumber=summary["DeploymentNumber"]
            )
            if deployment.get("ConfigurationProfileId") == profile["Id"]:
                return str(deployment["ConfigurationVersion"])
        return None


Key = tuple[str, str, str]


class CachingReader:
    """Answers from a cache younger than `poll_seconds`; on a failed refresh, the last good answer."""

    def __init__(
        self,
        fetch: Callable[[str, str, str], Configuration],
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetch, self.poll_seconds, self.clock = fetch, poll_seconds, clock
        self._cache: dict[Key, tuple[float, Configuration]] = {}
        self._lock = threading.Lock()

    def get(self, application: str, environment: str, profile: str) -> Configuration:
        key = (application, environment, profile)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and self.clock() - cached[0] < self.poll_seconds:
            return cached[1]
        try:
            fresh = self.fetch(*key)
        except NotFoundError:
            with self._lock:  # gone (deleted, renamed): stop serving it
                self._cache.pop(key, None)
            raise
        except Exception as exc:
            if cached is None:
                raise
            LOG.warning("refresh of %s failed, serving version %s: %s", "/".join(key), cached[1].version, exc)
            return cached[1]
        with self._lock:
            self._cache[key] = (self.clock(), fresh)
        return fresh


def _handler(reader: CachingReader) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "flags-agent"

        def do_GET(self) -> None:
            match = PATH.match(urlsplit(self.path).path)
            if match is None:
                self._send(404, {"error": "not found"})
                return
            application, environment, profile = (unquote(part) for part in match.groups())
            try:
                config = reader.get(application, environment, profile)
            except NotFoundError as exc:
                self._send(404, {"error": str(exc)})
            except InvalidConfigurationError as exc:
                self._send(500, {"error": str(exc)})
            except Exception as exc:  # AppConfig unreachable or failing: the caller keeps what it has
                LOG.warning("reading %s failed: %s", self.path, exc)
                self._send(502, {"error": f"AppConfig: {exc}"})
            else:
                self._send_bytes(
                    200, config.body, config.content_type, {"Configuration-Version": config.version}
                )

        def _send(self, status: int, value: object) -> None:
            self._send_bytes(status, json.dumps(value).encode(), JSON_TYPE, {})

        def _send_bytes(
            self, status: int, body: bytes, content_type: str, headers: Mapping[str, str]
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            LOG.debug("%s " + format, self.address_string(), *args)

    return Handler


def make_server(
    reader: CachingReader, host: str = "127.0.0.1", port: int = AGENT_PORT
) -> ThreadingHTTPServer:
    """A bound server (port 0: any free one, see .server_address); call serve_forever to answer."""
    server = ThreadingHTTPServer((host, port), _handler(reader))
    server.daemon_threads = True
    return server


def _port(raw: str) -> int:
    port = int(raw) if raw.isdigit() else -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to 65535, got {raw!r}")
    return port


def _seconds(raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0 to 3600, got {raw!r}")
    return seconds


def _client(region: str, endpoint_url: str | None) -> Any:
    import boto3

    if endpoint_url is None:  # real AWS: the usual credential chain
        return boto3.client("appconfig", region_name=region)
    from deployment_infra.targets import LOCAL_ACCOUNT_CREDENTIALS

    return boto3.client(
        "appconfig",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=LOCAL_ACCOUNT_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_ACCOUNT_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deployment_infra.envs.flags_agent",
        description="A local stand-in for the AWS AppConfig agent's HTTP interface.",
    )
    parser.add_argument("--port", type=_port, default=AGENT_PORT, help="0: any free port (default 2772)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--region", required=True)
    parser.add_argument("--endpoint-url", help="the embedded emulator's URL (omit for AWS itself)")
    parser.add_argument("--poll-seconds", type=_seconds, default=DEFAULT_POLL_SECONDS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="flags-agent: %(message)s", stream=sys.stderr)

    reader = CachingReader(
        AppConfigReader(_client(args.region, args.endpoint_url)).deployed, args.poll_seconds
    )
    try:
        server = make_server(reader, args.host, args.port)
    except OSError as exc:
        print(f"flags-agent: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    # one line a launcher can wait for (and read the port from when it passed --port 0)
    print(f"flags-agent listening on http://{host!s}:{port}", flush=True)
    # shutdown() waits for serve_forever to return, so it cannot run on the serving thread itself
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
