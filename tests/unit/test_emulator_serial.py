"""One request at a time into moto (the moto-not-thread-safe shim), SQS long polls exempt."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from typing import Any

from deployment_infra.emulator_serial import SerializedApp, service_of


def signed(service: str) -> dict[str, Any]:
    return {
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=test/20261201/af-south-1/"
        f"{service}/aws4_request, SignedHeaders=host, Signature=0"
    }


class Recorder:
    """A WSGI app that notes how many requests are inside it at once, while it renders the body."""

    def __init__(self, hold: float = 0.02) -> None:
        self.hold = hold
        self.inside = 0
        self.most = 0
        self._count = threading.Lock()

    def _enter(self) -> None:
        with self._count:
            self.inside += 1
            self.most = max(self.most, self.inside)

    def _leave(self) -> None:
        with self._count:
            self.inside -= 1

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        self._enter()
        start_response("200 OK", [])
        try:
            time.sleep(self.hold / 2)
            yield b"part one "
            time.sleep(self.hold / 2)  # still rendering: moto builds bodies from live state
            yield b"part two"
        finally:
            self._leave()


def hammer(app: Any, environ: dict[str, Any], threads: int = 8) -> list[bytes]:
    bodies: list[bytes] = []

    def one() -> None:
        bodies.append(b"".join(app(dict(environ), lambda *_: None)))

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return bodies


def test_unwrapped_requests_overlap_so_the_check_can_fail() -> None:
    app = Recorder()
    hammer(app, signed("ec2"))
    assert app.most > 1


def test_requests_and_their_bodies_never_overlap_inside_moto() -> None:
    app = Recorder()
    bodies = hammer(SerializedApp(app), signed("ec2"))
    assert app.most == 1
    assert bodies == [b"part one part two"] * 8


def test_unsigned_requests_are_serialized_too() -> None:
    app = Recorder()
    hammer(SerializedApp(app), {})
    assert app.most == 1


def test_sqs_long_polls_do_not_hold_everyone_else() -> None:
    """A ReceiveMessage waiting inside moto must not stop an EC2 call from completing."""
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        if service_of(environ) == "sqs":
            release.wait(10)
            return [b"messages"]
        return [b"ec2"]

    serial = SerializedApp(app)
    poll = threading.Thread(target=lambda: list(serial(signed("sqs"), lambda *_: None)))
    poll.start()
    try:
        assert b"".join(serial(signed("ec2"), lambda *_: None)) == b"ec2"
        assert poll.is_alive()  # the poll is still waiting, and the EC2 call got through
    finally:
        release.set()
        poll.join()


def test_service_of_reads_the_credential_scope() -> None:
    assert service_of(signed("elasticloadbalancing")) == "elasticloadbalancing"
    assert service_of({"HTTP_AUTHORIZATION": "Bearer x"}) is None
    assert service_of({}) is None


def test_each_request_is_one_log_line_and_moto_still_reads_the_body() -> None:
    """werkzeug's line says "POST / 409"; ours says which call, which attempt, and the waits."""
    seen: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        start_response("409 Conflict", [])
        return [b"EntityAlreadyExists"]

    body = b"Action=CreateRole&RoleName=backup&Version=2010-05-08"
    environ = {
        **signed("iam"),
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AMZ_SDK_REQUEST": "attempt=2; max=2",
        "HTTP_AMZ_SDK_INVOCATION_ID": "0f3e9a1c-5b7d-4e2f-8a6b-1c2d3e4f5a6b",
        "wsgi.input": io.BytesIO(body),
    }
    log = io.StringIO()
    assert SerializedApp(app, log=log)(environ, lambda *_: None) == [b"EntityAlreadyExists"]
    assert seen == [body]
    line = log.getvalue()
    assert line.startswith("request: iam CreateRole [attempt=2; max=2; call 0f3e9a1c] -> 409 (waited ")
    assert line.count("\n") == 1


class WriteRecorder(io.StringIO):
    """A log stream that keeps each write() apart, to see how a line reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_the_log_line_and_its_newline_are_one_write() -> None:
    """werkzeug's threads log to the same stream: a separate newline write let lines run together."""
    log = WriteRecorder()
    serial = SerializedApp(lambda e, sr: (sr("200 OK", []), [b"{}"])[1], log=log)
    serial({**signed("sts"), "REQUEST_METHOD": "POST", "PATH_INFO": "/"}, lambda *_: None)
    assert len(log.writes) == 1
    assert log.writes[0].startswith("request: sts ") and log.writes[0].endswith(")\n")


def test_health_checks_are_not_logged() -> None:
    log = io.StringIO()
    serial = SerializedApp(lambda e, sr: (sr("200 OK", []), [b"{}"])[1], log=log)
    serial({"PATH_INFO": "/moto-api/", "REQUEST_METHOD": "GET"}, lambda *_: None)
    assert log.getvalue() == ""


class Counter:
    """A create that succeeds once and then conflicts, as moto's CreateRole does."""

    def __init__(self, first: str = "200 OK") -> None:
        self.calls = 0
        self.first = first

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls += 1
        if self.calls == 1:
            start_response(self.first, [("Content-Type", "text/xml")])
            return [b"<CreateRoleResponse>role</CreateRoleResponse>"]
        start_response("409 Conflict", [])
        return [b"EntityAlreadyExists"]


def call(app: Any, invocation: str, attempt: int, method: str = "POST") -> tuple[str, bytes]:
    statuses: list[str] = []
    environ = {
        **signed("iam"),
        "REQUEST_METHOD": method,
        "PATH_INFO": "/",
        "HTTP_AMZ_SDK_INVOCATION_ID": invocation,
        "HTTP_AMZ_SDK_REQUEST": f"attempt={attempt}; max=2",
    }
    body = b"".join(app(environ, lambda status, headers, *_: statuses.append(status)))
    return statuses[0], body


def test_a_retry_of_an_answered_call_gets_the_same_answer_without_running_again() -> None:
    moto = Counter()
    log = io.StringIO()
    serial = SerializedApp(moto, log=log)
    first = call(serial, "inv-1", 1)
    assert call(serial, "inv-1", 2) == first == ("200 OK", b"<CreateRoleResponse>role</CreateRoleResponse>")
    assert moto.calls == 1
    assert "(replayed: answered before)" in log.getvalue().splitlines()[-1]
    assert call(serial, "inv-2", 1) == ("409 Conflict", b"EntityAlreadyExists")  # a new call runs
    assert moto.calls == 2


def test_errors_and_reads_are_run_again() -> None:
    failing = Counter(first="500 Internal Server Error")
    serial = SerializedApp(failing)
    call(serial, "inv-1", 1)
    call(serial, "inv-1", 2)
    assert failing.calls == 2  # a 5xx is retried for real (the throttling and 5xx drills need it)
    reads = Counter()
    serial = SerializedApp(reads)
    call(serial, "inv-1", 1, method="GET")
    call(serial, "inv-1", 2, method="GET")
    assert reads.calls == 2


def test_without_an_invocation_id_every_request_runs() -> None:
    moto = Counter()
    serial = SerializedApp(moto)
    call(serial, "", 1)
    call(serial, "", 1)
    assert moto.calls == 2
