"""The emulator's fault layer: request matching, the control endpoint, and error bodies that
botocore's own parsers read as the injected error in every protocol the project's services use."""

from __future__ import annotations

import io
import json
from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser
from werkzeug.test import Client

from deployment_infra.emulator_faults import (
    CONTROL_PATH,
    FaultInjector,
    Request,
    Rule,
    error_response,
    identify,
    parse_rule,
)

AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/af-south-1/{}/aws4_request, SignedHeaders=host, Signature=0"
)


def environ(service: str | None, **extra: Any) -> dict[str, Any]:
    env: dict[str, Any] = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": ""}
    if service:
        env["HTTP_AUTHORIZATION"] = AUTH.format(service)
    env.update(extra)
    return env


def form(body: str) -> dict[str, Any]:
    raw = body.encode()
    return {
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }


def test_json_protocol_operation_from_target() -> None:
    req = identify(
        environ("ssm", HTTP_X_AMZ_TARGET="AmazonSSM.GetParameter", HTTP_AMZ_SDK_REQUEST="attempt=2")
    )
    assert req == Request("ssm", "GetParameter", "json", "attempt=2")


def test_query_protocol_operation_from_form_body_which_is_kept_for_moto() -> None:
    env = environ("iam", **form("Action=CreateRole&Version=2010-05-08&RoleName=r"))
    assert identify(env) == Request("iam", "CreateRole", "query", "")
    assert env["wsgi.input"].read() == b"Action=CreateRole&Version=2010-05-08&RoleName=r"


def test_query_protocol_operation_from_query_string_and_ec2_flavour() -> None:
    assert identify(environ("sts", QUERY_STRING="Action=GetCallerIdentity")).operation == "GetCallerIdentity"
    assert identify(environ("ec2", **form("Action=DescribeVpcs"))).protocol == "ec2"


def test_cbor_operation_from_smithy_path() -> None:
    env = environ(
        "monitoring",
        PATH_INFO="/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
        HTTP_SMITHY_PROTOCOL="rpc-v2-cbor",
    )
    assert identify(env) == Request("monitoring", "DescribeAlarms", "cbor", "")


@pytest.mark.parametrize(
    ("service", "protocol"),
    [("s3", "s3"), ("route53", "rest-xml"), ("cloudfront", "rest-xml"), ("lambda", "rest-json")],
)
def test_rest_protocols_have_no_operation(service: str, protocol: str) -> None:
    assert identify(environ(service, REQUEST_METHOD="GET", PATH_INFO="/x")) == Request(
        service, None, protocol, ""
    )


def test_presigned_url_credential_and_unsigned_requests() -> None:
    cred = "X-Amz-Credential=testing%2F20260101%2Faf-south-1%2Fs3%2Faws4_request"
    assert identify(environ(None, QUERY_STRING=cred)).service == "s3"
    assert identify(environ(None, PATH_INFO="/moto-api/")).service is None


def rule(**overrides: Any) -> Rule:
    data = {"service": "ssm", "status": 400, "code": "ThrottlingException", "count": 2, **overrides}
    return parse_rule(data, 1)


def test_rule_matches_service_and_optional_operation() -> None:
    req = Request("ssm", "GetParameter", "json", "")
    assert rule().matches(req)
    assert rule(operation="GetParameter").matches(req)
    assert not rule(operation="PutParameter").matches(req)
    assert not rule(service="iam").matches(req)
    assert not rule(operation="GetObject").matches(Request("s3", None, "s3", ""))


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([], "JSON object"),
        ({"service": "SSM!", "status": 400, "code": "X"}, "service"),
        ({"service": "ssm", "status": 200, "code": "X"}, "status"),
        ({"service": "ssm", "status": True, "code": "X"}, "status"),
        ({"service": "ssm", "status": 500, "code": "<x>"}, "code"),
        ({"service": "ssm", "status": 500, "code": "X", "count": 0}, "count"),
        ({"service": "ssm", "status": 500, "code": "X", "operation": "a/b"}, "operation"),
        ({"service": "ssm", "status": 500, "code": "X", "colour": "red"}, "unknown field"),
        ({"service": "ssm", "status": 500, "code": "X", "after": -1}, "after"),
        ({"service": "ssm", "status": 500, "code": "X", "after": True}, "after"),
    ],
)
def test_bad_rules_are_refused(data: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_rule(data, 1)


# (boto3 service, operation, protocol of our Request): one per protocol the project's clients speak
PROTOCOLS = [
    ("ssm", "GetParameter", "json"),
    ("lambda", "ListFunctions", "rest-json"),
    ("cloudwatch", "DescribeAlarms", "cbor"),
    ("iam", "ListRoles", "query"),
    ("ec2", "DescribeVpcs", "ec2"),
    ("s3", "ListBuckets", "s3"),
    ("route53", "ListHostedZones", "rest-xml"),
]


@pytest.mark.parametrize(("service", "operation", "protocol"), PROTOCOLS)
@pytest.mark.parametrize(("status", "code"), [(400, "ThrottlingException"), (503, "ServiceUnavailable")])
def test_botocore_parses_the_injected_error(
    service: str, operation: str, protocol: str, status: int, code: str
) -> None:
    model = botocore.session.get_session().get_service_model(service)
    bad = rule(status=status, code=code, message="Rate <exceeded> & more")
    headers, body = error_response(bad, Request(service, operation, protocol, ""))
    response = {"status_code": status, "headers": {k.lower(): v for k, v in headers}, "body": body}
    parsed = create_parser(model.protocol).parse(response, model.operation_model(operation).output_shape)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "Rate <exceeded> & more"


def ok_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"moto saw: " + body]


def test_control_endpoint_counts_down_logs_and_clears() -> None:
    ticks = iter(range(100))
    client = Client(FaultInjector(ok_app, clock=lambda: float(next(ticks))))
    posted = client.post(CONTROL_PATH, json={"service": "iam", "operation": "ListRoles", **_throttle(2)})
    assert posted.status_code == 201 and posted.json["rule"]["remaining"] == 2
    headers = {"Authorization": AUTH.format("iam")}
    data = "Action=ListRoles&Version=2010-05-08"
    ct = "application/x-www-form-urlencoded"
    answers = [client.post("/", data=data, headers=headers, content_type=ct) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 200]
    assert b"<Code>Throttling</Code>" in answers[0].data
    assert answers[2].data == b"moto saw: " + data.encode()  # the inspected body reached moto intact
    other = client.post("/", data="Action=ListUsers", headers=headers, content_type=ct)
    assert other.data == b"moto saw: Action=ListUsers"  # not matching: passed, not logged
    state = client.get(CONTROL_PATH).json
    assert state["rules"][0]["remaining"] == 0
    assert [(e["t"], e["injected"], e["operation"]) for e in state["log"]] == [
        (0.0, True, "ListRoles"),
        (1.0, True, "ListRoles"),
        (2.0, False, "ListRoles"),
    ]
    assert client.delete(CONTROL_PATH).json == {"cleared": 1}
    assert client.get(CONTROL_PATH).json == {"rules": [], "log": []}


def test_after_lets_the_first_requests_through_then_fails_the_next() -> None:
    """A failure mid-way through a batch of writes: the first `after` matches reach moto."""
    client = Client(FaultInjector(ok_app, clock=lambda: 0.0))
    rule = {"service": "iam", "operation": "ListRoles", "after": 2, **_throttle(1)}
    assert client.post(CONTROL_PATH, json=rule).json["rule"]["after"] == 2
    headers = {"Authorization": AUTH.format("iam")}
    ct = "application/x-www-form-urlencoded"
    answers = [client.post("/", data="Action=ListRoles", headers=headers, content_type=ct) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 400, 200]
    assert [e["injected"] for e in client.get(CONTROL_PATH).json["log"]] == [False, False, True, False]


def test_control_endpoint_refuses_bad_input() -> None:
    client = Client(FaultInjector(ok_app))
    assert client.post(CONTROL_PATH, data=b"{nope").status_code == 400
    assert "status" in client.post(CONTROL_PATH, json={"service": "ssm", "code": "X"}).json["error"]
    assert client.put(CONTROL_PATH).status_code == 405


def _throttle(count: int) -> dict[str, Any]:
    return {"status": 400, "code": "Throttling", "count": count}


def test_head_error_has_no_body() -> None:
    client = Client(FaultInjector(ok_app))
    client.post(CONTROL_PATH, json={"service": "s3", "status": 503, "code": "SlowDown"})
    answer = client.head("/bucket", headers={"Authorization": AUTH.format("s3")})
    assert answer.status_code == 503 and answer.data == b""
    assert json.loads(client.get(CONTROL_PATH).data)["log"][0]["injected"] is True
