"""A small OpenID provider for the tests, served over HTTP on 127.0.0.1 (loopback only) from a
thread, so that mozilla-django-oidc reaches it with ``requests`` exactly as it would Entra ID.

It serves discovery, JWKS, an authorization endpoint (which signs in whoever the test names with
:meth:`OpenIdProvider.sign_in_as` and redirects back with a code) and a token endpoint (which
checks the client secret, redirect URI and PKCE verifier, then returns an ID token signed RS256).

A test tampers with the next ID token through :class:`Issue`: claims changed or removed, the
token signed by another key, its payload altered after signing, or another algorithm.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

KID = "escalate-test-key"
REMOVE = object()  # a claim value meaning "leave this claim out"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Issue:
    """How the provider makes the next ID token."""

    subject: str = "subject-1"
    email: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)  # replace or add (REMOVE to drop)
    sign_with_other_key: bool = False
    alter_after_signing: dict[str, Any] | None = None  # payload changes, signature kept
    algorithm: str = "RS256"  # "HS256": signed with the client secret; "none": unsigned


@dataclass
class PendingCode:
    issue: Issue
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None


class OpenIdProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig"})
        # Another key with the same kid: what an attacker's own key would look like.
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig"})
        self.client_id = "escalate-test-client"
        self.client_secret = "test-client-secret-" + secrets.token_hex(8)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/tenant-1/v2.0"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.reset()

    # -- for tests ---------------------------------------------------------------------------

    def start(self) -> OpenIdProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        self.next_issue = Issue()
        self.codes: dict[str, PendingCode] = {}
        self.token_requests: list[dict[str, str]] = []

    def sign_in_as(self, issue: Issue) -> None:
        """Who the next authorization signs in, and how their ID token is made."""
        self.next_issue = issue

    def url(self, path: str) -> str:
        return f"{self.issuer}{path}"

    @property
    def settings(self) -> dict[str, str]:
        """Django settings that point Escalate at this provider."""
        return {
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.url("/authorize"),
            "OIDC_OP_TOKEN_ENDPOINT": self.url("/token"),
            "OIDC_OP_JWKS_ENDPOINT": self.url("/keys"),
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
        }

    # -- endpoints ---------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.url("/authorize"),
            "token_endpoint": self.url("/token"),
            "jwks_uri": self.url("/keys"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "alg": "RS256"}]}

    def authorize(self, query: dict[str, str]) -> tuple[int, str]:
        """Returns (status, redirect location or error text)."""
        if query.get("client_id") != self.client_id:
            return 400, "unknown client"
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return 400, "unsupported request"
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri:
            return 400, "no redirect_uri"
        code = secrets.token_urlsafe(24)
        self.codes[code] = PendingCode(
            issue=self.next_issue,
            client_id=query["client_id"],
            redirect_uri=redirect_uri,
            nonce=query.get("nonce"),
            code_challenge=query.get("code_challenge"),
            code_challenge_method=query.get("code_challenge_method"),
        )
        return 302, f"{redirect_uri}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            return 401, {"error": "invalid_client"}
        pending = self.codes.pop(form.get("code", ""), None)  # a code works once
        if pending is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != pending.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        if pending.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
            if pending.code_challenge_method != "S256" or challenge != pending.code_challenge:
                return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        return 200, {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 3600,
            "id_token": self.id_token(pending),
        }

    def id_token(self, pending: PendingCode) -> str:
        issue = pending.issue
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": issue.subject,
            "aud": pending.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "nonce": pending.nonce,
            "tid": "tenant-1",
        }
        if issue.email is not None:
            claims["email"] = issue.email
            claims["preferred_username"] = issue.email
        for name, value in issue.claims.items():
            if value is REMOVE:
                claims.pop(name, None)
            else:
                claims[name] = value
        if claims.get("nonce") is None:
            claims.pop("nonce", None)

        if issue.algorithm == "none":
            header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            return f"{header}.{_b64url(json.dumps(claims).encode())}."
        if issue.algorithm == "HS256":
            secret = OctKey.import_key(self.client_secret.encode())
            return jwt.encode({"alg": "HS256", "kid": KID}, claims, secret, algorithms=["HS256"])
        key = self.other_key if issue.sign_with_other_key else self.key
        token = jwt.encode({"alg": "RS256", "kid": KID, "typ": "JWT"}, claims, key)
        if issue.alter_after_signing:
            header, _payload, signature = token.split(".")
            altered = {**claims, **issue.alter_after_signing}
            token = f"{header}.{_b64url(json.dumps(altered).encode())}.{signature}"
        return token


def _handler_for(provider: OpenIdProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

        def _path(self) -> str:
            path = urlsplit(self.path).path
            prefix = urlsplit(provider.issuer).path
            return path[len(prefix) :] if path.startswith(prefix) else ""

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self._path()
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif path == "/keys":
                self._json(200, provider.jwks())
            elif path == "/authorize":
                status, where = provider.authorize(query)
                if status == 302:
                    self.send_response(302)
                    self.send_header("Location", where)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._json(status, {"error": where})
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            if self._path() == "/token":
                status, answer = provider.token(form)
                self._json(status, answer)
            else:
                self._json(404, {"error": "not found"})

    return Handler
