"""The AppConfig agent stand-in (envs/flags_agent.py) against in-process moto with the AppConfig shims.

Bare moto has no ListApplications, environments or deployments; the shims of
deployment_infra.emulator_shims_appconfig (what the emulator server applies) provide them, applied
here only for the duration of each test and undone afterwards. The HTTP tests run the stand-in on
a free loopback port in a thread and ask it with a real request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.emulator import free_port
from deployment_infra.emulator_shims import SHIMS
from deployment_infra.envs.flags_agent import (
    AppConfigReader,
    CachingReader,
    Configuration,
    InvalidConfigurationError,
    NotFoundError,
    evaluate_feature_flags,
    main,
    make_server,
)
from tests.support.appconfig import FEATURE_FLAGS, Setup, create_setup, flag_document, get
from tests.unit.moto_patches import restoring

REGION = "af-south-1"
SHIM_MODULE = "deployment_infra.emulator_shims_appconfig"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def appconfig(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An AppConfig client on in-process moto with the emulator's AppConfig shims applied."""
    from moto.appconfig import urls
    from moto.appconfig.models import AppConfigBackend
    from moto.appconfig.responses import AppConfigResponse

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    import_module(SHIM_MODULE)
    with restoring([AppConfigBackend, AppConfigResponse], [urls.url_paths]):
        for func in SHIMS.values():
            if func.__module__ == SHIM_MODULE:
                func()
        with mock_aws():
            yield boto3.client("appconfig", region_name=REGION)


@pytest.fixture
def setup(appconfig: Any) -> Setup:
    return create_setup(appconfig)


@pytest.fixture
def serve() -> Iterator[Callable[[CachingReader], str]]:
    """Starts the stand-in on a free port in a thread; returns its base URL."""
    servers: list[Any] = []

    def start(reader: CachingReader) -> str:
        server = make_server(reader, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# -- evaluation --------------------------------------------------------------------------------


def test_evaluation_is_the_agents_form() -> None:
    document = {
        "version": "1",
        "flags": {"banner": {"name": "banner"}, "beta": {"name": "beta"}, "new": {"name": "new"}},
        "values": {
            "banner": {"enabled": True, "message": "soon", "_createdAt": "2025-01-01T00:00:00Z"},
            "beta": {"enabled": False, "limit": 3},
            "stale": {"enabled": True},  # a value whose flag was removed is not a flag
        },
    }
    assert evaluate_feature_flags(document) == {
        "banner": {"enabled": True, "message": "soon"},
        "beta": {"enabled": False, "limit": 3},
        "new": {"enabled": False},
    }
    assert evaluate_feature_flags({"version": "1", "flags": {}}) == {}


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"flags": {}},
        {"version": "2", "flags": {}},
        {"version": "1"},
        {"version": "1", "flags": [], "values": {}},
        {"version": "1", "flags": {}, "values": []},
        {"version": "1", "flags": {"a": {}}, "values": {"a": True}},
    ],
)
def test_evaluation_refuses_what_is_not_a_flag_document(document: Any) -> None:
    with pytest.raises(InvalidConfigurationError):
        evaluate_feature_flags(document)


names = st.text(min_size=1, max_size=8)
values = st.dictionaries(
    names,
    st.fixed_dictionaries(
        {"enabled": st.booleans() | st.none() | st.integers(0, 1)},
        optional={"limit": st.integers(), "note": st.text(max_size=5)},
    ),
    max_size=5,
)


@settings(max_examples=100)
@given(flags=st.lists(names, max_size=6, unique=True), values=values)
def test_evaluation_has_every_flag_enabled_only_when_its_value_says_true(
    flags: list[str], values: dict[str, dict[str, Any]]
) -> None:
    evaluated = evaluate_feature_flags(
        {"version": "1", "flags": {n: {"name": n} for n in flags}, "values": values}
    )
    assert list(evaluated) == flags
    for name in flags:
        value = values.get(name, {})
        assert evaluated[name]["enabled"] is (value.get("enabled") is True)
        assert {k: v for k, v in evaluated[name].items() if k != "enabled"} == {
            k: v for k, v in value.items() if k != "enabled"
        }


# -- reading what is deployed ------------------------------------------------------------------


def test_reads_the_deployed_flags_by_name_per_environment(setup: Setup) -> None:
    off, on = setup.publish({"banner": {"enabled": False}}), setup.publish({"banner": {"enabled": True}})
    setup.deploy("dev", on)
    setup.deploy("prod", off)
    reader = AppConfigReader(setup.client)
    dev = reader.deployed("ngapp", "dev", "flags")
    assert json.loads(dev.body) == {"banner": {"enabled": True}}
    assert (dev.content_type, dev.version) == ("application/json", on)
    assert json.loads(reader.deployed("ngapp", "prod", "flags").body) == {"banner": {"enabled": False}}
    # ids work as well as names, as with the agent
    by_id = reader.deployed(setup.app, setup.environments["dev"], setup.profile)
    assert by_id == dev


def test_the_newest_complete_deployment_wins(setup: Setup, appconfig: Any) -> None:
    first = setup.publish({"beta": {"enabled": True, "limit": 1}})
    second = setup.publish({"beta": {"enabled": True, "limit": 2}})
    setup.deploy("dev", first)
    setup.deploy("dev", second)
    reader = AppConfigReader(setup.client)
    assert json.loads(reader.deployed("ngapp", "dev", "flags").body) == {
        "beta": {"enabled": True, "limit": 2}
    }
    setup.deploy("dev", first)  # a rollback is a new deployment of the old version
    assert reader.deployed("ngapp", "dev", "flags").version == first

    # a deployment AWS rolled back (the emulator completes every deployment at once, so the state
    # is set in its store) does not count: the previous COMPLETE one is what the agent serves
    third = setup.publish({"beta": {"enabled": False}})
    setup.deploy("dev", third)
    from moto.appconfig.models import appconfig_backends

    backend = appconfig_backends["123456789012"][REGION]
    backend._shim_deployments[(setup.app, setup.environments["dev"])][-1]["State"] = "ROLLED_BACK"
    assert reader.deployed("ngapp", "dev", "flags").version == first


def test_another_profiles_deployment_does_not_count(setup: Setup) -> None:
    other = setup.client.create_configuration_profile(
        ApplicationId=setup.app, Name="other", LocationUri="hosted", Type=FEATURE_FLAGS
    )["Id"]
    version = setup.client.create_hosted_configuration_version(
        ApplicationId=setup.app,
        ConfigurationProfileId=other,
        Content=json.dumps(flag_document({"x": {"enabled": True}})).encode(),
        ContentType="application/json",
    )["VersionNumber"]
    setup.deploy("dev", str(version), profile=other)
    reader = AppConfigReader(setup.client)
    with pytest.raises(NotFoundError, match="'flags' has no completed deployment to environment 'dev'"):
        reader.deployed("ngapp", "dev", "flags")
    assert json.loads(reader.deployed("ngapp", "dev", "other").body) == {"x": {"enabled": True}}


@pytest.mark.parametrize(
    ("app", "env", "profile", "message"),
    [
        ("nope", "dev", "flags", "application 'nope' not found"),
        ("ngapp", "staging", "flags", "environment 'staging' not found"),
        ("ngapp", "dev", "nope", "configuration profile 'nope' not found"),
    ],
)
def test_unknown_names(setup: Setup, app: str, env: str, profile: str, message: str) -> None:
    setup.deploy("dev", setup.publish({}))
    with pytest.raises(NotFoundError, match=message):
        AppConfigReader(setup.client).deployed(app, env, profile)


def test_a_freeform_profile_is_served_as_stored(setup: Setup) -> None:
    profile = setup.client.create_configuration_profile(
        ApplicationId=setup.app, Name="limits", LocationUri="hosted", Type="AWS.Freeform"
    )["Id"]
    version = setup.client.create_hosted_configuration_version(
        ApplicationId=setup.app, ConfigurationProfileId=profile, Content=b"rate: 5\n", ContentType="text/yaml"
    )["VersionNumber"]
    setup.deploy("dev", str(version), profile=profile)
    assert AppConfigReader(setup.client).deployed("ngapp", "dev", "limits") == Configuration(
        b"rate: 5\n", "text/yaml", str(version)
    )


def test_flag_content_that_is_not_json(setup: Setup) -> None:
    version = setup.client.create_hosted_configuration_version(
        ApplicationId=setup.app,
        ConfigurationProfileId=setup.profile,
        Content=b"{",
        ContentType="application/json",
    )["VersionNumber"]
    setup.deploy("dev", str(version))
    with pytest.raises(InvalidConfigurationError, match="is not JSON"):
        AppConfigReader(setup.client).deployed("ngapp", "dev", "flags")


# -- the cache ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Source:
    """What the cache fetches from: answers in turn (a NotFoundError or other exception is raised)."""

    def __init__(self, *answers: Configuration | Exception) -> None:
        self.answers, self.calls = list(answers), 0

    def __call__(self, app: str, env: str, profile: str) -> Configuration:
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


V1, V2 = Configuration(b"{}", "application/json", "1"), Configuration(b'{"a":{}}', "application/json", "2")


def test_the_cache_answers_within_the_poll_interval_then_refreshes() -> None:
    clock, source = Clock(), Source(V1, V2)
    cache = CachingReader(source, poll_seconds=5, clock=clock)
    assert cache.get("a", "e", "p") == V1
    clock.now += 4.9
    assert cache.get("a", "e", "p") == V1
    assert source.calls == 1
    clock.now += 0.1
    assert cache.get("a", "e", "p") == V2
    assert cache.get("a", "e", "other") == V2  # each path has its own entry
    assert source.calls == 3


def test_the_cache_serves_the_last_good_answer_when_a_refresh_fails(caplog: pytest.LogCaptureFixture) -> None:
    clock, source = Clock(), Source(V1, RuntimeError("AppConfig down"), V2)
    cache = CachingReader(source, poll_seconds=1, clock=clock)
    assert cache.get("a", "e", "p") == V1
    clock.now += 2
    assert cache.get("a", "e", "p") == V1
    assert "refresh of a/e/p failed, serving version 1: AppConfig down" in caplog.text
    assert cache.get("a", "e", "p") == V2  # the failure was not cached: the next call refreshed


def test_the_cache_forgets_what_is_gone_and_keeps_no_error() -> None:
    clock, source = Clock(), Source(V1, NotFoundError("gone"))
    cache = CachingReader(source, poll_seconds=1, clock=clock)
    cache.get("a", "e", "p")
    clock.now += 2
    with pytest.raises(NotFoundError):
        cache.get("a", "e", "p")
    with pytest.raises(NotFoundError):
        cache.get("a", "e", "p")
    failing = CachingReader(Source(RuntimeError("down")), poll_seconds=1, clock=clock)
    with pytest.raises(RuntimeError):
        failing.get("a", "e", "p")


# -- over HTTP ---------------------------------------------------------------------------------


def test_http_answers_like_the_agent(setup: Setup, serve: Callable[[CachingReader], str]) -> None:
    version = setup.publish({"maintenance_banner": {"enabled": True, "message": "soon"}})
    setup.deploy("dev", version)
    base = serve(CachingReader(AppConfigReader(setup.client).deployed, poll_seconds=0))

    status, headers, body = get(f"{base}/applications/ngapp/environments/dev/configurations/flags")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Configuration-Version"] == version
    assert json.loads(body) == {"maintenance_banner": {"enabled": True, "message": "soon"}}

    # a new deployment shows at the next poll (here: every request)
    setup.deploy("dev", setup.publish({"maintenance_banner": {"enabled": False}}))
    _, _, body = get(f"{base}/applications/ngapp/environments/dev/configurations/flags?x=1")
    assert json.loads(body) == {"maintenance_banner": {"enabled": False}}


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/applications/nope/environments/dev/configurations/flags", "application 'nope' not found"),
        ("/applications/ngapp/environments/prod/configurations/flags", "has no completed deployment"),
        ("/applications/ngapp/environments/dev/configurations/f%20x", "profile 'f x' not found"),
        ("/applications/ngapp/environments/dev", "not found"),
        ("/", "not found"),
    ],
)
def test_http_404_is_json(setup: Setup, serve: Callable[[CachingReader], str], path: str, error: str) -> None:
    setup.deploy("dev", setup.publish({}))
    base = serve(CachingReader(AppConfigReader(setup.client).deployed))
    status, headers, body = get(base + path)
    assert (status, headers["Content-Type"]) == (404, "application/json")
    assert error in json.loads(body)["error"]


def test_http_500_for_an_invalid_document(setup: Setup, serve: Callable[[CachingReader], str]) -> None:
    version = setup.client.create_hosted_configuration_version(
        ApplicationId=setup.app,
        ConfigurationProfileId=setup.profile,
        Content=b'{"version": "1"}',
        ContentType="application/json",
    )["VersionNumber"]
    setup.deploy("dev", str(version))
    base = serve(CachingReader(AppConfigReader(setup.client).deployed))
    status, _, body = get(f"{base}/applications/ngapp/environments/dev/configurations/flags")
    assert status == 500
    assert json.loads(body) == {"error": '"flags" and "values" must be JSON objects'}


def test_http_502_when_appconfig_is_unreachable(serve: Callable[[CachingReader], str]) -> None:
    # a real client aimed at a closed port: nothing is mocked, the connection is refused
    client = boto3.client(
        "appconfig",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    base = serve(CachingReader(AppConfigReader(client).deployed))
    status, _, body = get(f"{base}/applications/a/environments/e/configurations/p")
    assert status == 502
    assert json.loads(body)["error"].startswith("AppConfig: Could not connect to the endpoint URL")


# -- the command line --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "70000", "--region", REGION],
        ["--port", "http", "--region", REGION],
        ["--port", "8080"],
        ["--region", REGION, "--poll-seconds", "-1"],
        ["--region", REGION, "--poll-seconds", "soon"],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_port_in_use_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    taken = make_server(CachingReader(Source(V1)), "127.0.0.1", 0)
    try:
        port = str(taken.server_address[1])
        assert main(["--port", port, "--region", REGION, "--endpoint-url", "http://127.0.0.1:1"]) == 1
        assert capsys.readouterr().err.startswith(f"flags-agent: cannot listen on 127.0.0.1:{port}: ")
    finally:
        taken.server_close()
