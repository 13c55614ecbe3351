"""Signing in and linking through the organisation's OpenID provider.

mozilla-django-oidc's request view makes the state, nonce and PKCE verifier and sends the browser
to the provider; its state entry in the session also records here what the round trip is for
(signing in, or linking for one user). The callback takes that entry out of the session (so a
callback works once), asks the backend for the ID token's verified claims, then either signs the
linked user in or links the account to the signed-in user.

Signing in here is the first factor only. The session is never marked as having passed the second
factor, so the accounts app's middleware sends the person on to it.

Every route is a 404 unless SSO is configured (``escalate.sso.conf.sso_enabled``).
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views import View
from django_otp import DEVICE_ID_SESSION_KEY
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from escalate.accounts import mfa
from escalate.sso import selectors, services
from escalate.sso.backends import IdTokenRefused, OidcIdentityBackend
from escalate.sso.conf import BACKEND_PATH, setting, sso_enabled
from escalate.sso.models import OidcIdentity

logger = logging.getLogger(__name__)

NOT_LINKED = "Your organisation account is not linked to Escalate; ask your business unit"
NOT_CONFIRMED = (
    "We could not confirm your organisation account. "
    "Try again, or sign in with your username and password"
)
NOT_FINISHED = (
    "Signing in with your organisation account did not finish. "
    "Try again, or sign in with your username and password"
)
LINK_NOT_CONFIRMED = "We could not link your organisation account. Try again"
LINKED = "Your organisation account is linked"
UNLINKED = "Your organisation account is no longer linked"

#: Keys added to mozilla-django-oidc's per-state entry in ``session["oidc_states"]``.
INTENT_KEY = "escalate_intent"
LINK_USER_KEY = "escalate_link_user"
SIGN_IN = "sign-in"
LINK = "link"
#: A round trip to the provider must come back within this time.
STATE_MAX_AGE_SECONDS = 600


#: Why a round trip was refused, as the log and the audit trail record it (never a claim).
REASON_STATE = "unknown, used or expired state"
REASON_NOT_FINISHED = "did not finish at the provider"
REASON_NOT_LINKED = "organisation account not linked or inactive"
REASON_NOT_STARTER = "not the user who started the link"


def refused(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "sso/refused.html", {"message": message}, status=status)


class SsoOnlyMixin:
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]


class _StartView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    def start(self, request: HttpRequest, *, intent: str, link_user_id: int | None) -> Any:
        response = super().get(request)
        state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
        entry = request.session["oidc_states"][state]
        entry[INTENT_KEY] = intent
        entry[LINK_USER_KEY] = link_user_id
        request.session.modified = True
        return response


class SignInStartView(SsoOnlyMixin, _StartView):
    """``/sso/start/?next=...``: off to the provider to sign in."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> Any:
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        return self.start(request, intent=SIGN_IN, link_user_id=None)


class LinkStartView(SsoOnlyMixin, LoginRequiredMixin, _StartView):
    """POST from the organisation accounts page: off to the provider to link an account."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> Any:
        if not mfa.is_verified(request.user):
            raise PermissionDenied
        return self.start(request, intent=LINK, link_user_id=request.user.pk)

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        # Let the person choose which account to link, not just the one the browser is in.
        return {"prompt": "select_account"}


class CallbackView(SsoOnlyMixin, OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """``/sso/callback/``: the redirect URI registered with the provider."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        entry = self.take_state(request)
        if entry is None:
            logger.warning("Single sign-on refused: %s", REASON_STATE)
            services.round_trip_record_refusal(
                user=request.user, linking=False, reason=REASON_STATE
            )
            return refused(request, NOT_CONFIRMED, status=400)
        intent = entry.get(INTENT_KEY)
        code = request.GET.get("code")
        if request.GET.get("error") or not code:
            logger.info("Single sign-on %s", REASON_NOT_FINISHED)
            services.round_trip_record_refusal(
                user=request.user, linking=intent == LINK, reason=REASON_NOT_FINISHED
            )
            return refused(request, NOT_FINISHED)
        backend = OidcIdentityBackend()
        try:
            claims = backend.verified_claims(
                request,
                code=code,
                nonce=entry.get("nonce") or "",
                code_verifier=entry.get("code_verifier"),
            )
        except IdTokenRefused as exc:
            logger.warning("Single sign-on refused: %s", exc.reason)
            services.round_trip_record_refusal(
                user=request.user, linking=intent == LINK, reason=exc.reason
            )
            return refused(request, LINK_NOT_CONFIRMED if intent == LINK else NOT_CONFIRMED)
        if intent == LINK:
            return self.link(request, entry, claims)
        if intent == SIGN_IN:
            return self.sign_in(request, backend, claims)
        services.round_trip_record_refusal(user=request.user, linking=False, reason=REASON_STATE)
        return refused(request, NOT_CONFIRMED, status=400)

    @staticmethod
    def take_state(request: HttpRequest) -> dict[str, Any] | None:
        """Remove this callback's state entry from the session and return it, if it is there
        and fresh. Removing it first means a callback URL cannot be replayed."""
        states = request.session.get("oidc_states")
        state = request.GET.get("state", "")
        if not isinstance(states, dict) or not state:
            return None
        entry = states.pop(state, None)
        request.session.modified = True
        if not isinstance(entry, dict):
            return None
        if time.time() - float(entry.get("added_on") or 0) > STATE_MAX_AGE_SECONDS:
            return None
        return entry

    def sign_in(
        self, request: HttpRequest, backend: OidcIdentityBackend, claims: dict[str, Any]
    ) -> HttpResponse:
        user = backend.user_for_claims(claims)
        if user is None:
            logger.info("Single sign-on refused: %s", REASON_NOT_LINKED)
            services.round_trip_record_refusal(
                user=request.user, linking=False, reason=REASON_NOT_LINKED
            )
            return refused(request, NOT_LINKED)
        next_url = self.success_url  # the checked ?next= from the start, or LOGIN_REDIRECT_URL
        auth.login(request, user, backend=BACKEND_PATH)
        # The first factor only. Whatever the session held, it has not passed the second.
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
        services.identity_record_use(issuer=claims["iss"], subject=claims["sub"])
        return HttpResponseRedirect(next_url)

    def link(
        self, request: HttpRequest, entry: dict[str, Any], claims: dict[str, Any]
    ) -> HttpResponse:
        user = request.user
        if (
            not user.is_authenticated
            or user.pk != entry.get(LINK_USER_KEY)
            or not mfa.is_verified(user)
        ):
            logger.warning("Single sign-on link refused: %s", REASON_NOT_STARTER)
            services.round_trip_record_refusal(
                user=request.user, linking=True, reason=REASON_NOT_STARTER
            )
            return refused(request, LINK_NOT_CONFIRMED)
        try:
            services.identity_link(user=user, issuer=claims["iss"], subject=claims["sub"])
        except services.IdentityLinkError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, LINKED)
        return redirect("sso:identities")


class IdentitiesView(SsoOnlyMixin, LoginRequiredMixin, View):
    """``/sso/identities/``: the organisation accounts linked to you; link one; unlink."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not mfa.is_verified(request.user):
            raise PermissionDenied
        response = render(
            request,
            "sso/identities.html",
            {"identities": selectors.identity_list_for(request.user)},  # type: ignore[arg-type]
        )
        allow_form_to_provider(response)
        return response


class UnlinkView(SsoOnlyMixin, LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not mfa.is_verified(request.user):
            raise PermissionDenied
        try:
            services.identity_unlink(user=request.user, identity_id=pk)  # type: ignore[arg-type]
        except OidcIdentity.DoesNotExist:
            raise Http404 from None
        messages.success(request, UNLINKED)
        return redirect("sso:identities")


def allow_form_to_provider(response: HttpResponse) -> None:
    """The link button POSTs here and is redirected to the provider; browsers hold that
    redirect to the page's CSP ``form-action``, so this page's policy adds the provider's
    origin (as ``django.views.decorators.csp.csp_override`` would, but from settings)."""
    policy = getattr(settings, "SECURE_CSP", None)
    if not isinstance(policy, dict) or "form-action" not in policy:
        return
    endpoint = urlsplit(setting("OIDC_OP_AUTHORIZATION_ENDPOINT"))
    origin = f"{endpoint.scheme}://{endpoint.netloc}"
    response._csp_config = {  # type: ignore[attr-defined]
        **policy,
        "form-action": [*policy["form-action"], origin],
    }
