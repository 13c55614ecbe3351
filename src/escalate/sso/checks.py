"""System checks: SSO half configured, or talking to a provider without TLS, is an error."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error, register

from escalate.sso.conf import REQUIRED_SETTINGS, missing_settings, setting, sso_enabled

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
URL_SETTINGS = [name for name in REQUIRED_SETTINGS if name.startswith("OIDC_OP_")]


@register()
def sso_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if missing := missing_settings():
        errors.append(
            Error(
                "Single sign-on is only partly configured.",
                hint="Set " + ", ".join(missing) + ", or unset every ESCALATE_OIDC_ variable.",
                id="sso.E001",
            )
        )
    if sso_enabled():
        for name in URL_SETTINGS:
            url = urlsplit(setting(name))
            if url.scheme != "https" and url.hostname not in LOOPBACK_HOSTS:
                errors.append(
                    Error(
                        f"{REQUIRED_SETTINGS[name]} must be an https:// address.",
                        id="sso.E002",
                    )
                )
        if len(setting("OIDC_OP_ISSUER")) > 255:
            errors.append(Error("ESCALATE_OIDC_ISSUER is too long (255 at most).", id="sso.E003"))
    return errors
