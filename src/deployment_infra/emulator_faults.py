"""Fault injection in the embedded AWS: chosen requests fail the way AWS fails (throttling, 5xx).

A drill tool (tests/drills/test_aws_fault_drills.py, docs/drills.md), not a moto gap shim: it is a
WSGI middleware around the moto server app (emulator_server.py), idle until a rule is posted, and a
request no rule matches reaches moto untouched.

    POST   /_infra/faults  {"service": "ssm", "operation": "GetParameter", "status": 400,
                            "code": "ThrottlingException", "message": "Rate exceeded", "count": 2,
                            "after": 0}
    GET    /_infra/faults  {"rules": [...], "log": [...]}
    DELETE /_infra/faults  clears the rules and the log

`service` is the SigV4 signing name of the request's credential scope (ssm, s3, monitoring for
CloudWatch, elasticloadbalancing, tagging...). `operation` (optional: service-wide when omitted) is
read from X-Amz-Target (JSON protocols), the Action parameter (query protocols) or the Smithy RPC v2
path (CBOR); REST protocols carry no operation name, so only service-wide rules match them. A rule
lets its first `after` matching requests through (default 0: a failure mid-way through a batch of
writes), fails the next `count`, then lets them through; the log records every matching
request (injected or passed) with the emulator's monotonic clock, so a test can measure the client's
backoff. The error body is the protocol's own error shape, so botocore and the Terraform provider
parse `code` and `message` as they would from AWS.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

CONTROL_PATH = "/_infra/faults"
MAX_LOG = 10_000  # a drill needs a few dozen entries; bound the memory of a forgotten rule
MAX_COUNT = 100_000
REST_XML_SERVICES = frozenset({"route53", "cloudfront"})  # and S3, whose errors are unwrapped

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_CBOR_PATH = re.compile(r"/service/[^/]+/operation/([^/?]+)")


@dataclass(frozen=True)
class Request:
    """What a rule is matched on, and what decides the shape of the error body."""

    service: str | None  # SigV4 signing name
    operation: str | None
    protocol: str  # json | cbor | query | ec2 | s3 | rest-xml | rest-json
    attempt: str  # the SDK's amz-sdk-request header ("attempt=2; max=4"), "" when absent


@dataclass
class Rule:
    id: int
    service: str
    operation: str | None
    status: int
    code: str
    message: str
    count: int
    remaining: int
    after: int = 0  # matching requests still to let through before the first failure

    def matches(self, request: Request) -> bool:
        if request.service != self.service:
            return False
        return self.operation is None or self.operation == request.operation


def parse_rule(data: object, rule_id: int) -> Rule:
    """A rule from the control endpoint's JSON; ValueError names what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    unknown = set(data) - {"service", "operation", "status", "code", "message", "count", "after"}
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    service, operation, code = data.get("service"), data.get("operation"), data.get("code")
    status, count, after = data.get("status"), data.get("count", 1), data.get("after", 0)
    message = data.get("message", "injected by the emulator's fault drill")
    if not isinstance(service, str) or not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", service):
        raise ValueError("service: the SigV4 signing name, e.g. ssm")
    if operation is not None and (not isinstance(operation, str) or not operation.isalnum()):
        raise ValueError("operation: an API operation name, e.g. GetParameter")
    if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9._]*", code):
        raise ValueError("code: an AWS error code, e.g. ThrottlingException")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError("status: an HTTP error status, 400-599")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count: how many requests to fail, 1-{MAX_COUNT}")
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_COUNT:
        raise ValueError(f"after: how many matching requests to let through first, 0-{MAX_COUNT}")
    if not isinstance(message, str):
        raise ValueError("message: a string")
    return Rule(rule_id, service, operation, status, code, message, count, count, after)


def identify(environ: Environ) -> Request:
    """Service, operation and protocol of a request (the body is read only for form posts)."""
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    presigned = "Credential=" + query.get("X-Amz-Credential", [""])[0]
    scope = CREDENTIAL_SCOPE.search(auth) or CREDENTIAL_SCOPE.search(presigned)
    service = scope[2].lower() if scope else None
    attempt = str(environ.get("HTTP_AMZ_SDK_REQUEST", ""))
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return Request(service, str(target).rsplit(".", 1)[-1], "json", attempt)
    path = str(environ.get("PATH_INFO", ""))
    if str(environ.get("HTTP_SMITHY_PROTOCOL", "")).lower() == "rpc-v2-cbor":
        match = _CBOR_PATH.search(path)
        return Request(service, match[1] if match else None, "cbor", attempt)
    action = query.get("Action", [None])[0] or _form_action(environ)
    if action:
        return Request(service, action, "ec2" if service == "ec2" else "query", attempt)
    rest = "s3" if service == "s3" else "rest-xml" if service in REST_XML_SERVICES else "rest-json"
    return Request(service, None, rest, attempt)


def _form_action(environ: Environ) -> str | None:
    """The Action of a form-encoded query-protocol body; the body is put back for moto."""
    if not str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
        return None
    body = _read_body(environ)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return parse_qs(body.decode("utf-8", errors="replace")).get("Action", [None])[0]


def _read_body(environ: Environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length > 0:
        return bytes(stream.read(length))
    if environ.get("wsgi.input_terminated"):  # chunked upload: the server marks the end
        return bytes(stream.read())
    return b""


def error_response(rule: Rule, request: Request) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body of `rule`'s error in `request`'s protocol, as AWS sends it."""
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id), ("x-amz-request-id", request_id)]
    code, message = rule.code, rule.message
    if request.protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        content_type = "application/x-amz-json-1.1" if request.protocol == "json" else "application/json"
        headers += [("Content-Type", content_type), ("x-amzn-ErrorType", code)]
    elif request.protocol == "cbor":
        body = _cbor_map({"__type": code, "message": message})
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    else:
        body = _xml_error(request.protocol, rule.status, code, message, request_id).encode()
        headers.append(("Content-Type", "text/xml"))
    return headers, body


def _xml_error(protocol: str, status: int, code: str, message: str, request_id: str) -> str:
    code, message = escape(code), escape(message)
    if protocol == "ec2":
        return (
            f"<?xml version='1.0' encoding='UTF-8'?>\n<Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    if protocol == "s3":  # S3's errors are not wrapped in <ErrorResponse>
        return (
            f"<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    fault = "Sender" if status < 500 else "Receiver"
    error = f"<Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message>"
    return (
        f"<?xml version='1.0' encoding='UTF-8'?>\n<ErrorResponse><Error>{error}</Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )


def _cbor_map(fields: dict[str, str]) -> bytes:
    """RFC 8949 encoding of a map of text strings (all an error body needs)."""
    out = _cbor_head(5, len(fields))
    for key, value in fields.items():
        for text in (key, value):
            raw = text.encode()
            out += _cbor_head(3, len(raw)) + raw
    return out


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for extra, size in ((24, 1), (25, 2), (26, 4)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | extra]) + length.to_bytes(size, "big")
    raise ValueError("too long")


class FaultInjector:
    """WSGI middleware: the control endpoint, and the rules applied in front of `app`."""

    def __init__(self, app: WsgiApp, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._log: list[dict[str, Any]] = []
        self._next_id = 1

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CONTROL_PATH:
            return self._control(environ, start_response)
        if not self._rules:  # the usual case: no drill running
            return self.app(environ, start_response)
        request = identify(environ)
        with self._lock:
            candidates = [r for r in self._rules if r.matches(request)]
            rule = next((r for r in candidates if r.remaining > 0), None)
            if rule is not None and rule.after > 0:
                rule.after -= 1
                rule = None  # let through, and logged as passed
            elif rule is not None:
                rule.remaining -= 1
            if candidates:
                self._record(request, rule or candidates[0], injected=rule is not None)
        if rule is None:
            return self.app(environ, start_response)
        _read_body(environ)  # drain it: an unread body would be parsed as the next request
        headers, body = error_response(rule, request)
        if environ.get("REQUEST_METHOD") == "HEAD":  # no body on HEAD: the SDK reads the status alone
            body = b""
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{rule.status} {_reason(rule.status)}", headers)
        return [body]

    def _record(self, request: Request, rule: Rule, *, injected: bool) -> None:
        entry = {
            "t": self.clock(),
            "rule": rule.id,
            "service": request.service,
            "operation": request.operation,
            "attempt": request.attempt,
            "injected": injected,
            "status": rule.status if injected else None,
            "code": rule.code if injected else None,
        }
        self._log.append(entry)
        del self._log[:-MAX_LOG]

    def _control(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            with self._lock:
                state = {"rules": [asdict(r) for r in self._rules], "log": list(self._log)}
            return _json(start_response, 200, state)
        if method == "DELETE":
            with self._lock:
                cleared = len(self._rules)
                self._rules.clear()
                self._log.clear()
            return _json(start_response, 200, {"cleared": cleared})
        if method != "POST":
            return _json(start_response, 405, {"error": "use GET, POST or DELETE"})
        try:
            data = json.loads(_read_body(environ) or b"null")
            with self._lock:
                rule = parse_rule(data, self._next_id)
                self._next_id += 1
                self._rules.append(rule)
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            return _json(start_response, 400, {"error": str(exc)})
        return _json(start_response, 201, {"rule": asdict(rule)})


def _json(start_response: StartResponse, status: int, data: object) -> list[bytes]:
    body = json.dumps(data).encode()
    start_response(
        f"{status} {_reason(status)}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
