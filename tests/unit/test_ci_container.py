"""The container steps' own logic: hadolint's findings (through the real hadolint), the Node pin a
Dockerfile carries, when a local stand-in base is allowed, and what a built image must show."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.ci import base_image, container, image_verify, stand_in
from deployment_infra.ci.model import Project, StageContext
from deployment_infra.errors import UsageError
from tests.conftest import REPO

SERVICE = REPO / "examples" / "service"
DOCKERFILE = SERVICE / "Dockerfile"
HOST = base_image.HostNode(path="/usr/bin/node", version="20.20.2", debian="bookworm", machine="x86_64")
KNOWN = frozenset(stand_in.BUNDLED_NPM)


def _ctx(path: Path, config_dir: Path | None) -> StageContext:
    proj = Project(path=path, root=path, kinds=frozenset({"docker"}), sha="0" * 40)
    return StageContext(project=proj, config_dir=config_dir, work=path, on_github=False)


def _hadolint(tmp_path: Path, dockerfile: str, config_dir: Path | None = REPO / "ci"):
    (tmp_path / "Dockerfile").write_text(dockerfile)
    return container.Hadolint().run(_ctx(tmp_path, config_dir))


# --- hadolint -----------------------------------------------------------------------------------


def test_parse_hadolint_json_gives_one_detail_line_per_finding() -> None:
    out = json.dumps(
        [
            {
                "code": "DL3007",
                "column": 1,
                "file": "Dockerfile",
                "level": "warning",
                "line": 1,
                "message": "latest",
            },
            {
                "code": "DL3049",
                "column": 1,
                "file": "Dockerfile",
                "level": "info",
                "line": 1,
                "message": "label",
            },
        ]
    )
    findings = container.parse_hadolint(out)
    assert [f.detail("Dockerfile") for f in findings] == [
        "Dockerfile:1 DL3007 warning: latest",
        "Dockerfile:1 DL3049 info: label",
    ]
    assert container.count_by_level(findings) == "2 finding(s): 1 warning, 1 info"
    assert container.parse_hadolint("[]") == []
    for bad in ("not json", '{"code": 1}'):
        with pytest.raises(ValueError):
            container.parse_hadolint(bad)


def test_the_service_dockerfile_is_clean_under_the_repository_config(tmp_path: Path) -> None:
    result = container.Hadolint().run(_ctx(SERVICE, REPO / "ci"))
    assert result.status == "passed", result.details
    assert result.tool.startswith("hadolint 2.")
    assert result.data["config"] == str(REPO / "ci" / "hadolint.yaml")


def test_hadolint_fails_with_the_rule_id_of_each_finding(tmp_path: Path) -> None:
    result = _hadolint(tmp_path, "FROM node:latest\nRUN apt-get update && apt-get install -y curl\n")
    assert result.status == "failed"
    codes = {line.split()[1] for line in result.details}
    assert {"DL3007", "DL3008"} <= codes  # latest tag; apt-get without pinned versions
    assert any(d.startswith("Dockerfile:1 DL3007 warning:") for d in result.details)


def test_repository_config_requires_the_oci_labels_and_a_trusted_registry(tmp_path: Path) -> None:
    labelled = DOCKERFILE.read_text()
    result = _hadolint(
        tmp_path, labelled.replace('      org.opencontainers.image.revision="${REVISION}" \\\n', "")
    )
    assert result.status == "failed"
    assert any("DL3049" in d and "revision" in d for d in result.details)
    result = _hadolint(
        tmp_path, labelled.replace("ARG NODE_IMAGE=", "FROM quay.io/acme/node:20\nARG NODE_IMAGE=")
    )
    assert result.status == "failed"
    assert any("DL3026" in d for d in result.details)


def test_without_a_ci_directory_hadolint_defaults_apply(tmp_path: Path) -> None:
    result = _hadolint(tmp_path, 'FROM node:20.20.2-bookworm-slim\nUSER 1000\nCMD ["node"]\n', None)
    assert result.status == "passed" and result.data["config"] == "hadolint defaults"


def test_a_malformed_hadolint_config_is_bad_input_not_a_silent_pass(tmp_path: Path) -> None:
    cfg = tmp_path / "ci"
    cfg.mkdir()
    (cfg / "hadolint.yaml").write_text("failure-threshold: [\n")
    with pytest.raises(UsageError, match=r"hadolint\.yaml: hadolint cannot read it"):
        _hadolint(tmp_path, "FROM node:latest\n", cfg)


# --- the pinned Node image and the stand-in decision -------------------------------------------


def test_the_service_pins_an_exact_official_node_release_whose_npm_is_recorded() -> None:
    pin = base_image.node_pin(DOCKERFILE.read_text())
    assert pin == base_image.NodePin(
        ref="docker.io/library/node:20.20.2-bookworm-slim",
        version="20.20.2",
        debian="bookworm",
        slim=True,
        digest="",
    )
    assert pin.version in stand_in.BUNDLED_NPM  # else a stand-in would be refused
    engines = json.loads((SERVICE / "package.json").read_text())["engines"]["node"]
    low, high = (tuple(int(x) for x in b.lstrip("<>=").split(".")) for b in engines.split())
    version = tuple(int(x) for x in pin.version.split("."))
    assert engines.startswith(">=") and " <" in engines
    assert low <= version[: len(low)] and version[: len(high)] < high  # the image's Node satisfies engines


def test_node_pin_reads_only_the_official_image_before_the_first_from() -> None:
    digest = "sha256:" + "ab" * 32
    pin = base_image.node_pin(f'arg NODE_IMAGE="node:22.1.0-trixie@{digest}"\nFROM ${{NODE_IMAGE}}\n')
    assert pin is not None and (pin.version, pin.debian, pin.slim, pin.digest) == (
        "22.1.0",
        "trixie",
        False,
        digest,
    )
    for text in (
        "ARG NODE_IMAGE=ghcr.io/acme/node:20.20.2-bookworm-slim\nFROM ${NODE_IMAGE}\n",  # not official
        "ARG NODE_IMAGE=node:20-bookworm-slim\nFROM ${NODE_IMAGE}\n",  # not an exact release
        "ARG NODE_IMAGE=node:latest\nFROM ${NODE_IMAGE}\n",
        "FROM scratch\nARG NODE_IMAGE=node:20.20.2-bookworm-slim\n",  # a stage ARG, not the base's
        "FROM node:20.20.2-bookworm-slim\n",
    ):
        assert base_image.node_pin(text) is None, text


@st.composite
def official_refs(draw: st.DrawFn) -> tuple[str, base_image.NodePin]:
    """An official Node image reference and the pin it states."""
    version = ".".join(str(draw(st.integers(0, 999))) for _ in range(3))
    debian = draw(st.sampled_from(["bookworm", "bullseye", "trixie"]))
    slim = draw(st.booleans())
    registry = draw(st.sampled_from(["", "docker.io/", "docker.io/library/", "library/"]))
    digest = draw(
        st.one_of(st.just(""), st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex()))
    )
    ref = f"{registry}node:{version}-{debian}{'-slim' if slim else ''}{'@' + digest if digest else ''}"
    return ref, base_image.NodePin(ref, version, debian, slim, digest)


@settings(max_examples=100)
@given(case=official_refs(), quote=st.sampled_from(["", '"', "'"]))
def test_node_pin_round_trips_every_official_reference(
    case: tuple[str, base_image.NodePin], quote: str
) -> None:
    ref, expected = case
    pin = base_image.node_pin(
        f"# base\nARG NODE_IMAGE={quote}{ref}{quote}\n\nFROM ${{NODE_IMAGE}} AS build\n"
    )
    assert pin == expected


def test_a_stand_in_needs_the_same_node_release_on_the_same_debian() -> None:
    pin = base_image.node_pin(DOCKERFILE.read_text())
    assert base_image.stand_in_refusal(pin, HOST, KNOWN) is None
    cases = {
        "does not pin": (None, HOST),
        "no node": (pin, base_image.HostNode("", "", "bookworm", "x86_64")),
        "node is v20.19.0, the Dockerfile pins 20.20.2": (
            pin,
            base_image.HostNode("/n", "20.19.0", "bookworm", "x"),
        ),
        "Debian trixie": (pin, base_image.HostNode("/n", "20.20.2", "trixie", "x86_64")),
        "not Debian": (pin, base_image.HostNode("/n", "20.20.2", "", "x86_64")),
    }
    for expected, (p, host) in cases.items():
        refusal = base_image.stand_in_refusal(p, host, KNOWN)
        assert refusal is not None and expected in refusal, (expected, refusal)
    assert "BUNDLED_NPM" in (base_image.stand_in_refusal(pin, HOST, frozenset()) or "")


def test_the_official_base_wins_and_a_stand_in_is_always_named_as_such() -> None:
    pin = base_image.node_pin(DOCKERFILE.read_text())
    assert pin is not None
    ref = stand_in.ref_for(pin)
    assert ref == "localhost/deployment-infra/node-stand-in:20.20.2-bookworm-slim"
    assert base_image.decide(pin, True, "", None, ref).ref == pin.ref
    assert base_image.decide(pin, False, "", None, ref).kind == "official"  # pulled
    unreachable = base_image.decide(pin, False, "lookup registry-1.docker.io: no such host", None, ref)
    assert (unreachable.kind, unreachable.ref) == ("stand-in", ref)
    assert (
        unreachable.reason.startswith("LOCAL STAND-IN")
        and f"NOT the official {pin.ref}" in unreachable.reason
    )
    assert "no such host" in unreachable.reason
    refused = base_image.decide(pin, False, "no such host", "this machine's node is v18.0.0", ref)
    assert refused.kind == "none" and "v18.0.0" in refused.reason
    assert base_image.decide(None, False, "", None, "").ref == ""  # the Dockerfile's own FROM lines


def test_stand_in_helpers_on_this_machine() -> None:
    found = shutil.which("node")
    assert found, "node is not on PATH (Node 20 is needed for the CI stages)"
    node = Path(found)
    out = subprocess.run(["ldd", str(node)], capture_output=True, text=True, check=True).stdout
    paths = stand_in.ldd_paths(out)
    assert any(p.endswith("/libc.so.6") for p in paths)
    assert any("ld-linux" in p for p in paths)  # the dynamic loader, which has no "=>"
    assert all(p.startswith("/") and "vdso" not in p for p in paths)
    assert stand_in.sri_sha512(b"") == (
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
    )
    labels = stand_in.expected_labels(base_image.node_pin(DOCKERFILE.read_text()), "f" * 64)  # type: ignore[arg-type]
    assert labels["io.deployment-infra.stand-in"] == "true"
    assert "not the official image" in labels["org.opencontainers.image.description"]


# --- what a built image must show ----------------------------------------------------------------


def _config(**over: object) -> dict[str, object]:
    sha = "a" * 40
    config: dict[str, object] = {
        "User": "1000:1000",
        "Env": ["PATH=/usr/bin", f"APP_VERSION={sha}"],
        "Cmd": ["node", "dist/server.js"],
        "Healthcheck": {"Test": ["CMD", "node", "dist/healthcheck.js"]},
        "Labels": {"org.opencontainers.image.revision": sha},
    }
    return {**config, **over}


def test_config_checks_want_a_non_root_user_a_healthcheck_and_the_commit() -> None:
    sha = "a" * 40
    assert all(c.ok for c in image_verify.config_checks(_config(), sha))
    failing = {
        "user": _config(User=""),
        "healthcheck": _config(Healthcheck={"Test": ["NONE"]}),
        "label revision": _config(Labels={}),
        "APP_VERSION": _config(Env=["APP_VERSION=dev"]),
    }
    for name, config in failing.items():
        bad = [c.name for c in image_verify.config_checks(config, sha) if not c.ok]
        assert bad == [name]
    for user in ("", "root", "0", "0:0", "root:node"):
        assert image_verify.is_root_user(user)
    for user in ("node", "1000", "1000:1000", "app:0"):
        assert not image_verify.is_root_user(user)
    assert image_verify.healthcheck_argv({"Healthcheck": {"Test": ["CMD-SHELL", "curl -f x"]}}) == [
        "/bin/sh",
        "-c",
        "curl -f x",
    ]
    assert image_verify.healthcheck_argv({}) == []


def test_version_answer_reads_json_or_text() -> None:
    assert image_verify.version_answer(b'{"version":"abc"}\n') == "abc"
    assert image_verify.version_answer(b"abc\n") == "abc"
    assert image_verify.version_answer(b'{"other":1}') == ""


def test_listener_uid_finds_the_owner_of_a_listening_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert image_verify.listener_uid(port) == os.getuid()
    assert image_verify.listener_uid(port) is None  # closed: nobody listens


def test_image_tags_and_size() -> None:
    sha = "0123456789abcdef" * 2 + "01234567"
    assert container.image_tags(Path("/x/Service_1"), sha) == [
        f"localhost/service_1:{sha}",
        "localhost/service_1:0123456789ab",
    ]
    assert container.image_tags(Path("/x/My App"), sha)[0].startswith("localhost/my-app:")
    manifest = {"layers": [{"size": 100}, {"size": 23}]}
    assert container.manifest_size({"Manifest": json.dumps(manifest)}) == 123
    assert container.manifest_size({}) == 0


def test_the_steps_are_registered_for_docker_projects() -> None:
    proj = Project(path=SERVICE, root=REPO, kinds=frozenset({"docker"}), sha="0" * 40)
    assert [s.name for s in container.LINT_STEPS] == ["hadolint"]
    assert [s.name for s in container.BUILD_STEPS] == ["image"]
    assert all(s.applies(proj) for s in (*container.LINT_STEPS, *container.BUILD_STEPS))
    other = Project(path=SERVICE, root=REPO, kinds=frozenset({"python"}), sha="0" * 40)
    assert not any(s.applies(other) for s in (*container.LINT_STEPS, *container.BUILD_STEPS))
