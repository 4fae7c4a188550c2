"""Microsoft's sign-in services on 127.0.0.1, so tokens are really signed and verified.

The Agents SDK fetches signing keys from fixed addresses (``login.botframework.com`` for the
Bot Framework issuer, ``login.microsoftonline.com`` for Entra) and MSAL asks
``login.microsoftonline.com`` for the bot's own outgoing token. Nothing in the bot is changed to
reach this stand-in: the test process gets ``HTTPS_PROXY`` pointing here and a CA of its own
(``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``). The proxy answers CONNECT for those two hosts by
terminating TLS itself with a certificate that CA issued, and serves:

- ``/v1/.well-known/openidconfiguration`` and ``/v1/.well-known/keys`` (Bot Framework),
- ``/{tenant}/discovery/v2.0/keys``, ``/{tenant}/v2.0/.well-known/openid-configuration`` and
  ``/{tenant}/oauth2/v2.0/token`` (Entra; the token endpoint hands out an opaque token).

Two RSA keys sign: one listed by the Bot Framework metadata, one by Entra's. ``mint`` makes an
RS256 token with either; ``requests`` records every request that reached the stand-in.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_HOST = "login.botframework.com"
ENTRA_HOST = "login.microsoftonline.com"
HOSTS = (BOT_FRAMEWORK_HOST, ENTRA_HOST)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificates(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA (written to ``directory``) and a server context for HOSTS signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key, leaf_key = _key(), _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mcem test sign-in CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTS[0])]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in HOSTS]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = directory / "server.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain)
    return ca_file, context


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(default_factory=_key)

    def jwk(self, **extra: Any) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "alg": "RS256", **extra}


@dataclass
class SignIn:
    """The running stand-in. ``proxy_url`` goes into HTTPS_PROXY, ``ca_file`` into the CA settings."""

    bot_framework_key: SigningKey = field(default_factory=lambda: SigningKey("bf-" + uuid.uuid4().hex[:8]))
    entra_key: SigningKey = field(default_factory=lambda: SigningKey("entra-" + uuid.uuid4().hex[:8]))
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (host, method, path)
    proxy_url: str = ""
    ca_file: Path | None = None
    _server: ThreadingHTTPServer | None = None
    _directory: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="mcem-signin-")
        self.ca_file, context = _certificates(Path(self._directory.name))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, context))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="sign-in stand-in", daemon=True).start()
        self.proxy_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._directory is not None:
            self._directory.cleanup()

    def mint(self, claims: dict[str, Any], *, key: SigningKey | None = None, lifetime_s: int = 3600) -> str:
        """An RS256 token with ``claims``; iat/nbf/exp are filled in unless given."""
        now = int(time.time())
        body = {"iat": now, "nbf": now - 5, "exp": now + lifetime_s, **claims}
        body = {k: v for k, v in body.items() if v is not None}  # None: leave the claim out
        signer = key or self.bot_framework_key
        return jwt.encode(body, signer.private, algorithm="RS256", headers={"kid": signer.kid})

    def saw(self, host: str, path_part: str = "") -> bool:
        return any(h == host and path_part in p for h, _m, p in self.requests)


def _handler(signin: SignIn, context: ssl.SSLContext) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        tunnel_host = ""

        def log_message(self, *_args: object) -> None:  # quiet: pytest shows failures, not traffic
            return

        def do_CONNECT(self) -> None:
            host = self.path.rsplit(":", 1)[0].lower()
            if host not in HOSTS:
                # Anything else would leave the machine: refuse it, loudly.
                signin.requests.append((host, "CONNECT-REFUSED", ""))
                self.send_error(403, "the sign-in stand-in serves only Microsoft sign-in hosts")
                return
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            raw: socket.socket = self.connection
            self.connection = context.wrap_socket(raw, server_side=True)
            self.rfile = self.connection.makefile("rb")
            self.wfile = self.connection.makefile("wb")
            self.tunnel_host = host
            self.close_connection = False

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self._serve("POST")

        def _serve(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            signin.requests.append((self.tunnel_host, method, path))
            body = self._answer(method, path)
            if body is None:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def _answer(self, method: str, path: str) -> dict[str, Any] | None:
            base = f"https://{self.tunnel_host}"
            if self.tunnel_host == BOT_FRAMEWORK_HOST:
                if path == "/v1/.well-known/keys":
                    return {"keys": [signin.bot_framework_key.jwk(endorsements=["msteams"])]}
                if path == "/v1/.well-known/openidconfiguration":
                    return {
                        "issuer": "https://api.botframework.com",
                        "jwks_uri": f"{base}/v1/.well-known/keys",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                return None
            parts = path.strip("/").split("/")
            tenant = parts[0] if parts else "common"
            if path.endswith("/discovery/v2.0/keys") or path.endswith("/discovery/keys"):
                return {"keys": [signin.entra_key.jwk()]}
            if path.endswith("/v2.0/.well-known/openid-configuration"):
                return {
                    "issuer": f"{base}/{tenant}/v2.0",
                    "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
                    "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["pairwise"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            if method == "POST" and path.endswith("/oauth2/v2.0/token"):
                # The bot's own token for calling the channel: opaque to the bot, never sent anywhere here.
                return {
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "access_token": "outgoing-" + uuid.uuid4().hex,
                }
            if path.startswith("/common/discovery/instance"):
                return {
                    "tenant_discovery_endpoint": f"{base}/{tenant}/v2.0/.well-known/openid-configuration",
                    "api-version": "1.1",
                    "metadata": [],
                }
            return None

    return Handler
