"""Whether single sign-on is configured. The values come from the environment once, in
``escalate.config.settings.base``; this only reads Django's settings, so tests may change them."""

from __future__ import annotations

from django.conf import settings

#: Setting name -> the environment variable it is read from. SSO is on only when all are set.
REQUIRED_SETTINGS = {
    "OIDC_OP_ISSUER": "ESCALATE_OIDC_ISSUER",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "ESCALATE_OIDC_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT": "ESCALATE_OIDC_TOKEN_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT": "ESCALATE_OIDC_JWKS_ENDPOINT",
    "OIDC_RP_CLIENT_ID": "ESCALATE_OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "ESCALATE_OIDC_CLIENT_SECRET",
}

#: The dotted path Django records in the session for a person signed in through SSO.
BACKEND_PATH = "escalate.sso.backends.OidcIdentityBackend"


def setting(name: str) -> str:
    value = getattr(settings, name, "")
    return value if isinstance(value, str) else ""


def sso_enabled() -> bool:
    return all(setting(name) for name in REQUIRED_SETTINGS)


def missing_settings() -> list[str]:
    """The environment variables still to set, when some but not all are set."""
    unset = [env for name, env in REQUIRED_SETTINGS.items() if not setting(name)]
    return unset if len(unset) < len(REQUIRED_SETTINGS) else []
