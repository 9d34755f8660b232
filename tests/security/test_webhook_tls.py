"""The delivery path over TLS: the connection goes to the address the SSRF check approved, while
SNI, the certificate check and the Host header keep the URL's name.

A local TLS server with a self-signed certificate for `hooks.rewards.test` stands in for the
receiver; a fake resolver answers that name (loopback, which the local stage accepts), and the
test trusts the certificate through `SSL_CERT_FILE`, as a deployment trusts its CAs.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib.domain.events import webhook_posting
from tests.fixtures.receivers import local_stage, stop

HOST = "hooks.rewards.test"
REAL_GETADDRINFO = socket.getaddrinfo


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` (and its key), signed by itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class TlsReceiver:
    """What the TLS server saw: the SNI names of handshakes and each request's Host."""

    port: int = 0
    server_names: list[str | None] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


@pytest.fixture
def tls_receiver(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TlsReceiver]:
    served_name = getattr(request, "param", HOST)
    cert, key = self_signed(tmp_path, served_name)
    seen = TlsReceiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def sni(sock: Any, server_name: str | None, ctx: Any) -> None:
        seen.server_names.append(server_name)

    context.sni_callback = sni

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.hosts.append(self.headers["Host"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self) -> Any:
            sock, address = super().get_request()
            return context.wrap_socket(sock, server_side=True), address

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a refused handshake is the point of some tests

    server = Server(("127.0.0.1", 0), Handler)
    seen.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(cert.read_bytes())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", str(trusted))
        yield seen
    stop(server)


@dataclass
class FakeDns:
    """Answers `HOST` with each of `answers` in turn (the last one from then on)."""

    answers: list[str]
    asked: int = 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != HOST:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        address = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.fixture(autouse=True)
def on_the_local_stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with local_stage(monkeypatch):
        yield


def post(port: int) -> webhook_posting.Attempt:
    return webhook_posting.post(f"https://{HOST}:{port}/hooks", b"{}", {}, timeout=2.0)


def test_the_connection_goes_to_the_checked_address_with_the_urls_name(
    tls_receiver: TlsReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    dns = FakeDns(["127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", dns)

    attempt = post(tls_receiver.port)

    assert attempt.ok, attempt
    assert tls_receiver.server_names == [HOST]  # SNI: the URL's name, not the address
    assert tls_receiver.hosts == [f"{HOST}:{tls_receiver.port}"]
    assert dns.asked == 1  # resolved once, by the check: the connection asks no one again


def test_a_name_rebound_after_the_check_still_reaches_the_checked_address(
    tls_receiver: TlsReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a second resolution would give a private address; none is made."""
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns(["127.0.0.1", "10.0.0.1"]))
    assert post(tls_receiver.port).ok
    assert post(tls_receiver.port).ok is False  # the next check sees the private address


@pytest.mark.parametrize("tls_receiver", ["elsewhere.rewards.test"], indirect=True)
def test_a_certificate_for_another_name_is_refused(
    tls_receiver: TlsReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns(["127.0.0.1"]))
    attempt = post(tls_receiver.port)
    assert (attempt.ok, attempt.error) == (False, "SSLCertVerificationError")
    assert tls_receiver.hosts == []  # nothing was sent


def test_an_untrusted_certificate_is_refused(
    tls_receiver: TlsReceiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns(["127.0.0.1"]))
    (tmp_path / "other").mkdir()
    other, _ = self_signed(tmp_path / "other", "unrelated.rewards.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    attempt = post(tls_receiver.port)
    assert (attempt.ok, attempt.error) == (False, "SSLCertVerificationError")
