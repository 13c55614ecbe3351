"""The OpenID Connect backend: mozilla-django-oidc's code flow, with ID-token validation made
complete and users found only through a linked (issuer, subject).

What the library does and what this adds (OpenID Connect Core 1.0, section 3.1.3.7):

- token exchange, JWKS retrieval and the signature check: the library (``get_token``,
  ``retrieve_matching_jwk``); here the algorithm is fixed to RS256 and "alg: none" is never
  accepted, whatever ``OIDC_ALLOW_UNSECURED_JWT`` says;
- ``iss``: the library does not check it; here it must equal ``OIDC_OP_ISSUER`` exactly;
- ``aud``: the library does not check it; here it must contain ``OIDC_RP_CLIENT_ID``, and when
  there is more than one audience, or an ``azp``, ``azp`` must be the client id;
- ``exp``: the library lets PyJWT reject expired tokens but not tokens without one, and lets the
  error escape as a server error; here ``exp``, ``iat``, ``iss``, ``aud``, ``sub`` and ``nonce``
  are required and every failure is a refusal;
- ``nonce``: the library compares it only when one was sent (``None == None`` passes); here one
  is always sent and compared in constant time;
- the user: the library looks users up by e-mail address and creates them; here the user is the
  one whose ``OidcIdentity`` matches (iss, sub) from the ID token, the userinfo endpoint is never
  called, no user is ever created, and an inactive user is refused.

Django builds every backend in ``AUTHENTICATION_BACKENDS`` for each password sign-in, so this
one must be cheap and quiet when SSO is off, and its ``authenticate`` never answers for a
username and password. Only ``escalate.sso.views.CallbackView``, which holds the state, nonce and
PKCE verifier from the session, asks it anything; Django asks it ``get_user`` for sessions it
signed in.
"""

from __future__ import annotations

from typing import Any

import jwt
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify

from escalate.sso.conf import setting
from escalate.web.signed_in import load_user

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "nonce"]
#: Clock difference tolerated between the provider and this server, in seconds.
LEEWAY_SECONDS = 60
MAX_CLAIM_LENGTH = 255  # OidcIdentity.issuer and .subject


class IdTokenRefused(Exception):
    """The provider's answer could not be trusted. ``reason`` names why, for the log; it holds
    no claim values, so no personal data reaches the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OidcIdentityBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__: that raises ImproperlyConfigured when SSO is off, which
        # would break password sign-in. Settings are read here, per request, never at import.
        self.OIDC_OP_ISSUER = setting("OIDC_OP_ISSUER")
        self.OIDC_OP_TOKEN_ENDPOINT = setting("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = setting("OIDC_OP_JWKS_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = ""  # never called: identity comes from the ID token
        self.OIDC_RP_CLIENT_ID = setting("OIDC_RP_CLIENT_ID")
        self.OIDC_RP_CLIENT_SECRET = setting("OIDC_RP_CLIENT_SECRET")
        self.OIDC_RP_SIGN_ALGO = ALGORITHM
        self.OIDC_RP_IDP_SIGN_KEY = None  # keys come from the provider's JWKS only
        self.UserModel = get_user_model()

    # -- Django's backend interface --------------------------------------------------------

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> Any:
        """Never answers ``django.contrib.auth.authenticate()``: see the module docstring."""
        return None

    def get_user(self, user_id: Any) -> Any:
        # The library's get_user returns inactive users too; Django's checks is_active. Loaded
        # as every signed-in user is, in one query (escalate.web.signed_in).
        user = load_user(user_id)
        return user if user is not None and ModelBackend.user_can_authenticate(self, user) else None

    # -- the code flow ---------------------------------------------------------------------

    def verified_claims(
        self, request: HttpRequest, *, code: str, nonce: str, code_verifier: str | None
    ) -> dict[str, Any]:
        """Exchange ``code`` at the token endpoint and return the ID token's claims once every
        check has passed. Raises :class:`IdTokenRefused` otherwise."""
        token_request = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": absolutify(request, reverse("sso:callback")),
        }
        if code_verifier:
            token_request["code_verifier"] = code_verifier
        try:
            id_token = self.get_token(token_request).get("id_token")
            if not isinstance(id_token, str):
                raise IdTokenRefused("no ID token in the token response")
            claims: dict[str, Any] = self.verify_token(id_token, nonce=nonce)
        except IdTokenRefused:
            raise
        except requests.RequestException as exc:
            raise IdTokenRefused(f"provider unreachable or refused: {type(exc).__name__}") from exc
        except (SuspiciousOperation, jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            raise IdTokenRefused(f"unusable token or keys: {type(exc).__name__}") from exc
        return claims

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        nonce = kwargs.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise IdTokenRefused("no nonce was sent with this sign-in")
        key = self.retrieve_matching_jwk(token)
        claims = self.get_payload_data(token, key)
        token_nonce = claims.get("nonce")
        if not isinstance(token_nonce, str) or not constant_time_compare(token_nonce, nonce):
            raise IdTokenRefused("nonce does not match")
        return claims

    def get_payload_data(self, token: str | bytes, key: Any) -> dict[str, Any]:
        # The library would accept "alg: none" here when OIDC_ALLOW_UNSECURED_JWT is set: never.
        return self._verify_jws(token, key)

    def _verify_jws(self, payload: str | bytes, key: Any) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(payload)
        except jwt.PyJWTError as exc:
            raise IdTokenRefused("malformed ID token") from exc
        if header.get("alg") != ALGORITHM:
            raise IdTokenRefused("ID token not signed with RS256")
        try:
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[ALGORITHM],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.OIDC_OP_ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise IdTokenRefused(f"ID token refused: {type(exc).__name__}") from exc
        self._check_authorized_party(claims)
        self._check_identity_claims(claims)
        return claims

    def _check_authorized_party(self, claims: dict[str, Any]) -> None:
        audience = claims["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        if (several or "azp" in claims) and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise IdTokenRefused("ID token issued to another party (azp)")

    @staticmethod
    def _check_identity_claims(claims: dict[str, Any]) -> None:
        for name in ("iss", "sub"):
            value = claims.get(name)
            if not isinstance(value, str) or not value or len(value) > MAX_CLAIM_LENGTH:
                raise IdTokenRefused(f"unusable {name} claim")

    # -- finding the user: by (iss, sub), never by e-mail, never created --------------------

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        try:
            self._check_identity_claims(claims)
        except IdTokenRefused:
            return False
        return bool(claims["iss"] == self.OIDC_OP_ISSUER)

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        if not self.verify_claims(claims):
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(
            oidc_identities__issuer=claims["iss"], oidc_identities__subject=claims["sub"]
        )

    def create_user(self, claims: dict[str, Any]) -> Any:
        raise SuspiciousOperation("Single sign-on never creates accounts")

    def get_or_create_user(self, access_token: Any, id_token: Any, payload: dict[str, Any]) -> Any:
        """The active user linked to the ID token's (iss, sub), or None. ``payload`` is the
        verified ID token; the userinfo endpoint is not asked (its answer is not signed)."""
        users = list(self.filter_users_by_claims(payload)[:2])
        if len(users) != 1 or not self.user_can_authenticate(users[0]):
            return None
        return users[0]

    def user_for_claims(self, claims: dict[str, Any]) -> Any:
        return self.get_or_create_user(None, None, claims)
