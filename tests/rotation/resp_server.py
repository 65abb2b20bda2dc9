"""A small stand-in for an ElastiCache primary: RESP over TLS, with AUTH and PING only.

It answers like Redis 7 with `requirepass`: while it holds no token AUTH is off (PING answers +PONG,
AUTH an error), as on a replication group created without a token; once it holds tokens, a
connection must AUTH with one of them before PING answers (-NOAUTH otherwise, -WRONGPASS for a bad
token). `tokens` is what ModifyReplicationGroup leaves on the group, newest last: the fake
ElastiCache in conftest.py applies ROTATE (the newest token the group had plus the new one) and SET
(the new one only) to it.

The certificate comes from a throwaway CA (`make_certificates`) for localhost and 127.0.0.1, so the
Lambda's default verification can be exercised by trusting that CA through $SSL_CERT_FILE (OpenSSL
reads it when Python loads the default CA store). `ask` is a client of its own, independent of the
Lambda's, for the tests' checks.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

NO_PASSWORD = (
    "-ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
WRONGPASS = "-WRONGPASS invalid username-password pair or user is disabled."
NOAUTH = "-NOAUTH Authentication required."


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path


def make_certificates(directory: Path) -> Certificates:
    """A CA and a server certificate it signed for DNS:localhost and IP:127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rotation test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certificates(directory / "ca.crt", directory / "server.crt", directory / "server.key")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


class RespServer:
    """Listens on 127.0.0.1 (a thread per connection) until `close()`."""

    def __init__(self, certificates: Certificates) -> None:
        self.tokens: list[str] = []  # newest last; empty: AUTH off
        self.open_without_auth = False  # misbehave: answer PING before AUTH although it holds tokens
        self.connections = 0
        self._lock = threading.Lock()
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(certificates.cert, certificates.key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="resp-server", daemon=True)
        self._thread.start()

    def accepts(self, token: str) -> bool:
        with self._lock:
            return token in self.tokens

    def set_tokens(self, tokens: list[str]) -> None:
        with self._lock:
            self.tokens = list(tokens)

    def current_tokens(self) -> list[str]:
        with self._lock:
            return list(self.tokens)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(5)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as Redis does: no 40 ms stalls
        try:
            with self._tls.wrap_socket(raw, server_side=True) as conn, conn.makefile("rwb") as stream:
                authenticated = False
                while (command := _read_command(stream)) is not None:
                    reply, authenticated = self._answer(command, authenticated)
                    stream.write(reply.encode() + b"\r\n")
                    stream.flush()
        except (OSError, ValueError):
            pass  # the client went away, failed the handshake or spoke something else
        finally:
            with contextlib.suppress(OSError):
                raw.close()

    def _answer(self, command: list[str], authenticated: bool) -> tuple[str, bool]:
        name, args = command[0].upper(), command[1:]
        with self._lock:
            tokens = list(self.tokens)
        if name == "AUTH":
            if not tokens:
                return NO_PASSWORD, authenticated
            if len(args) in (1, 2) and args[-1] in tokens and (len(args) == 1 or args[0] == "default"):
                return "+OK", True
            return WRONGPASS, authenticated
        if tokens and not authenticated and not self.open_without_auth:
            return NOAUTH, authenticated
        if name == "PING":
            return ("+PONG" if not args else f"+{args[0]}"), authenticated
        return f"-ERR unknown command '{command[0]}'", authenticated


def _read_command(stream: BinaryIO) -> list[str] | None:
    """A RESP array of bulk strings (what clients send); None at the end of the stream."""
    line = stream.readline(1024)
    if not line:
        return None
    if not line.startswith(b"*"):
        raise ValueError("not a RESP array")
    args = []
    for _ in range(int(line[1:])):
        header = stream.readline(1024)
        if not header.startswith(b"$"):
            raise ValueError("not a bulk string")
        size = int(header[1:])
        args.append(stream.read(size + 2)[:size].decode())
    return args


def ask(port: int, *commands: list[str], ca: Path, host: str = "localhost") -> list[str]:
    """Send the commands on one verified TLS connection; each reply's first line."""
    context = ssl.create_default_context(cafile=str(ca))
    with (
        socket.create_connection((host, port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as conn,
        conn.makefile("rwb") as stream,
    ):
        for command in commands:
            stream.write(f"*{len(command)}\r\n".encode())
            for arg in command:
                stream.write(f"${len(arg.encode())}\r\n{arg}\r\n".encode())
        stream.flush()
        return [stream.readline(4096).decode().rstrip("\r\n") for _ in commands]
