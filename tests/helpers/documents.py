"""A real HTTP server on loopback serving JSON documents (Client ID Metadata Documents,
JWK Sets) the way a client's own web server would, counting the requests it answers; and a
self-signed certificate for it to serve https with."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Served:
    """path -> (status, headers, body); `hits` counts requests per path. `delay` holds
    every answer back; `trickle` sends each answer a byte at a time, this far apart."""

    base: str
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)  # the Host header of each request
    delay: float = 0.0
    trickle: float = 0.0

    def json(self, path: str, document: Any, **headers: str) -> str:
        body = json.dumps(document).encode()
        self.routes[path] = (200, {"Content-Type": "application/json", **headers}, body)
        return self.base + path


@contextmanager
def serving(tls: tuple[Path, Path] | None = None, host: str = "127.0.0.1") -> Iterator[Served]:
    """Serve on a free loopback port of `host` (127.0.0.1 or ::1); https with `tls`
    (certificate and key files)."""
    served = Served(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.hits[self.path] = served.hits.get(self.path, 0) + 1
            served.hosts.append(self.headers.get("Host", ""))
            time.sleep(served.delay)
            status, headers, body = served.routes.get(self.path, (404, {}, b""))
            if served.trickle:
                head = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
                head.append(f"Content-Length: {len(body)}")
                for byte in ("\r\n".join(head) + "\r\n\r\n").encode() + body:
                    self.wfile.write(bytes([byte]))
                    time.sleep(served.trickle)
                return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    server = Server((host, 0), Handler)
    server.handle_error = lambda request, address: None  # a client that stopped reading
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    literal = f"[{host}]" if ":" in host else host
    served.base = f"{scheme}://{literal}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate (and its key) for a DNS name or an IP address, written to
    `folder`; a client that trusts it (SSL_CERT_FILE) verifies a server by that name."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    try:
        alternative: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        alternative = x509.DNSName(name)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([alternative]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private = serialization.PrivateFormat.PKCS8
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, private, serialization.NoEncryption())
    )
    return cert_path, key_path
