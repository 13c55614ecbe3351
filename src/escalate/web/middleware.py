"""Security middleware: what every response carries and which methods any route accepts.

See docs/security.md. The order in ``MIDDLEWARE`` matters: ``CspNonceMiddleware`` and
``MethodGuardMiddleware`` sit straight after Django's ``ContentSecurityPolicyMiddleware`` (and
before WhiteNoise), so that static files and refusals carry the policy too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.middleware.csp import get_nonce
from django.utils.cache import add_never_cache_headers

#: The only methods any route answers. State changes are POST (with a CSRF token); GET and HEAD
#: only read. Everything else, OPTIONS and TRACE included, is 405: there is no cross-origin use
#: of this service that would need a CORS preflight.
ALLOWED_METHODS = ("GET", "HEAD", "POST")

NO_STORE = "no-store, no-cache, must-revalidate, private, max-age=0"


class MethodGuardMiddleware:
    """Answer 405 to any method but GET, HEAD and POST, on every route, before any view runs.

    Views narrow this further (``require_http_methods``); this is the floor beneath them, and
    the only guard for routes we do not write (the admin, static files, third-party views).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            return HttpResponseNotAllowed(ALLOWED_METHODS)
        return self.get_response(request)


class CspNonceMiddleware:
    """Make the per-response CSP nonce exist before any view or template runs.

    Django adds the nonce to ``script-src`` only once something has read it, and
    ``{% csp_nonce_attr %}`` (used by the admin's templates) renders only after that. Reading it
    here means every policy carries a fresh nonce and any template may use it. A nonce that no
    element carries permits nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = get_nonce(request)
        if nonce is not None:
            str(nonce)  # generates it (LazyNonce)
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages may show case content: never let a browser or proxy keep a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(self.static_prefix):
            add_never_cache_headers(response)
            response["Cache-Control"] = NO_STORE
        return response
