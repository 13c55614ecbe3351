"""Who may reach each route: the one list. Every URL pattern the project resolves is here.

``tests/security/test_routes.py`` fails for a route that resolves but is not listed (and for a
listed route that no longer resolves); ``tests/security/test_matrix.py`` checks every listed
route for every role. To add a route, add its key here (see docs/security.md).

A route's key is its namespaced name (``cases:detail``). A pattern without a name (the admin's
per-object redirects and its catch-all) is keyed by its full pattern, as :func:`iter_routes`
spells it.

This list declares; it does not enforce. The views enforce access (through
``escalate.cases.access`` and the selectors); the tests hold the views to this list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from django.urls import URLPattern, URLResolver, get_resolver


class Access(StrEnum):
    #: Anyone, signed in or not.
    PUBLIC = "public"
    #: Any fully signed-in user, a system administrator included.
    SIGNED_IN = "signed-in"
    #: Half-way through signing in: password given, second factor not yet. A fully signed-in
    #: user is sent on; anyone else is sent to sign in.
    SIGNING_IN = "signing-in"
    #: A signed-in user who is an active person in the directory (not a system administrator,
    #: who has no directory person and gets 404).
    PERSON = "person"
    #: One escalation: a person whose agency is party to it, or the business unit of its
    #: partnership. Anyone else gets 404. What a party may *do* also depends on their level and
    #: the escalation's stage (``escalate.cases.access.allowed_actions``): 404 when they may not.
    PARTY = "party"
    #: A person who is the business unit of their partnership; anyone else gets 404.
    BUSINESS_UNIT = "business-unit"
    #: A system administrator (``is_staff``): Django's admin. Manages accounts and the
    #: directory; reads no case content. Anyone else is sent to the admin's sign-in page.
    SYSTEM_ADMIN = "system-admin"


PUBLIC = Access.PUBLIC
SIGNING_IN = Access.SIGNING_IN
SIGNED_IN = Access.SIGNED_IN
PERSON = Access.PERSON
PARTY = Access.PARTY
BUSINESS_UNIT = Access.BUSINESS_UNIT
SYSTEM_ADMIN = Access.SYSTEM_ADMIN

#: The models registered with the admin (``admin.site.register``), as (app label, model name).
_ADMIN_MODELS = (
    ("auth", "group"),
    ("accounts", "user"),
    ("directory", "partnership"),
    ("directory", "agency"),
    ("directory", "person"),
    ("directory", "stagecontact"),
    ("directory", "panelseat"),
    ("otp_totp", "totpdevice"),
    ("otp_static", "staticdevice"),
    ("axes", "accessattempt"),
    ("axes", "accesslog"),
    ("axes", "accessfailurelog"),
    ("sso", "oidcidentity"),
)


def _admin_model_routes(app: str, model: str) -> dict[str, Access]:
    return {
        f"admin:{app}_{model}_changelist": SYSTEM_ADMIN,
        f"admin:{app}_{model}_add": SYSTEM_ADMIN,
        f"admin:{app}_{model}_history": SYSTEM_ADMIN,
        f"admin:{app}_{model}_delete": SYSTEM_ADMIN,
        f"admin:{app}_{model}_change": SYSTEM_ADMIN,
        # The unnamed redirect from admin/<app>/<model>/<id>/ to the change page.
        f"admin/{app}/{model}/<path:object_id>/": SYSTEM_ADMIN,
    }


#: Every route, and who may reach it.
ROUTES: dict[str, Access] = {
    # -- the shared record (escalate.cases) --
    "cases:home": SIGNED_IN,
    "cases:list": PERSON,
    "cases:procedure": PERSON,
    "cases:raise-start": PERSON,
    "cases:raise": PERSON,
    "cases:detail": PARTY,
    "cases:raised": PARTY,
    "cases:contact": PARTY,
    "cases:escalate": PARTY,
    "cases:resolve": PARTY,
    "cases:confirm": PARTY,
    "cases:bring-forward": PARTY,
    "cases:withdraw": PARTY,
    "cases:decide": PARTY,
    "cases:event": PARTY,
    "cases:duty": PARTY,
    "cases:view": PARTY,
    "cases:correct": PARTY,
    "cases:subject-access": BUSINESS_UNIT,  # the reference is posted, never in the URL
    # -- written representations (escalate.attachments) --
    "attachments:list": PARTY,
    "attachments:upload": PARTY,  # a person of a party agency only
    "attachments:download": PARTY,  # only a representation of that escalation; GET only
    # -- panels and the top stage's outcome (escalate.panels) --
    "panels:page": PARTY,  # and the panel members the escalation is referred to; GET only
    "panels:convene": PARTY,  # the business unit only, open at a stage that convenes a panel
    "panels:members": PARTY,  # the business unit only; only a panel of that escalation
    "panels:outcome": PARTY,  # whoever may decide (the business unit in all five procedures)
    "panels:respond": PARTY,  # the agency recommended to, or the business unit; that case's only
    # -- the procedures' forms (escalate.documents) --
    "documents:form": PARTY,  # GET only; any form of the escalation's procedure
    "documents:version": PARTY,  # GET only; an older version, kept as it was
    "documents:pdf": PARTY,  # GET only; a version as PDF, named by the reference only
    "documents:edit": PARTY,  # only the form's signers at the current stage
    "documents:sign": PARTY,  # only a signer the procedure names, with a signature to give
    "documents:submit": PARTY,  # only a signer, once every signature is given
    "documents:new-version": PARTY,  # only a signer, once the latest version is signed
    # -- the directory (escalate.directory) --
    "directory:import": BUSINESS_UNIT,
    # -- the audit trail (escalate.audit) --
    "audit:escalation-trail": BUSINESS_UNIT,  # of an escalation in their own partnership
    "audit:views-of-our-cases": PERSON,
    # -- notifications (escalate.notifications) --
    "notifications:list": PERSON,
    "notifications:open": PERSON,  # only the person's own rows: anyone else's id is 404
    "notifications:read-all": PERSON,  # POST only
    "notifications:preferences": PERSON,
    "notifications:feed-reset": PERSON,  # POST only
    "notifications:feed": PUBLIC,  # calendar applications cannot sign in: the secret is the key
    "notifications:outbox": BUSINESS_UNIT,  # their own partnership's e-mail rows
    "notifications:outbox-retry": BUSINESS_UNIT,  # POST only; another partnership's row is 404
    # -- the board's view (escalate.insights) --
    "insights:dashboard": BUSINESS_UNIT,  # its own partnership's figures; GET only
    "insights:escalations": BUSINESS_UNIT,  # the escalations behind a figure; GET only
    "insights:annual-reports": BUSINESS_UNIT,  # choose a year of the annual report; GET only
    "insights:annual-report": BUSINESS_UNIT,  # one year's report, to print; GET only
    "insights:annual-report-narrative": BUSINESS_UNIT,  # the report's narrative: GET and POST
    "insights:annual-report-pdf": BUSINESS_UNIT,  # the report as a PDF; GET only
    "insights:export-register-csv": BUSINESS_UNIT,  # its own register; GET only; audited
    "insights:export-register-xlsx": BUSINESS_UNIT,  # its own register; GET only; audited
    "insights:export-figures-csv": BUSINESS_UNIT,  # its own figures; GET only; audited
    "insights:export-figures-xlsx": BUSINESS_UNIT,  # its own figures; GET only; audited
    # -- signing in and out, your account (escalate.accounts) --
    "accounts:sign-in": PUBLIC,
    "accounts:verify": SIGNING_IN,
    "accounts:recovery-code": SIGNING_IN,
    "accounts:set-up": SIGNING_IN,
    "accounts:set-up-qr": SIGNING_IN,
    "accounts:sign-out": PUBLIC,  # POST only; ends the caller's own session, if any
    "accounts:timed-out": PUBLIC,
    "accounts:password-reset": PUBLIC,
    "accounts:password-reset-done": PUBLIC,
    "accounts:password-reset-confirm": PUBLIC,  # needs the e-mailed token
    "accounts:password-reset-complete": PUBLIC,
    "accounts:account": SIGNED_IN,
    "accounts:recovery-codes": SIGNED_IN,
    "accounts:new-recovery-codes": SIGNED_IN,
    "accounts:sign-out-everywhere": SIGNED_IN,
    "accounts:session": SIGNED_IN,
    "accounts:password-change": SIGNED_IN,
    # -- single sign-on (escalate.sso; every route 404 unless SSO is configured) --
    "sso:start": PUBLIC,
    "sso:callback": PUBLIC,
    "sso:identities": SIGNED_IN,
    "sso:link": SIGNED_IN,
    "sso:unlink": SIGNED_IN,  # only one's own linked accounts
    # -- Django's admin, for system administrators --
    "admin:login": PUBLIC,
    "admin:logout": SYSTEM_ADMIN,
    "admin:index": SYSTEM_ADMIN,
    "admin:password_change": SYSTEM_ADMIN,
    "admin:password_change_done": SYSTEM_ADMIN,
    "admin:autocomplete": SYSTEM_ADMIN,
    "admin:jsi18n": SYSTEM_ADMIN,
    "admin:view_on_site": SYSTEM_ADMIN,
    "admin:app_list": SYSTEM_ADMIN,
    "admin/(?P<url>.*)$": SYSTEM_ADMIN,  # the admin's catch-all (404 for staff)
    "admin:auth_user_password_change": SYSTEM_ADMIN,  # UserAdmin's "set password" page
    "admin:otp_totp_totpdevice_config": SYSTEM_ADMIN,  # refused: shows the secret
    "admin:otp_totp_totpdevice_qrcode": SYSTEM_ADMIN,  # refused: shows the secret
    **{k: v for app, model in _ADMIN_MODELS for k, v in _admin_model_routes(app, model).items()},
}


@dataclass(frozen=True)
class Route:
    """One URL pattern as the project resolves it."""

    key: str  # "namespace:name", or the full pattern when the pattern has no name
    pattern: str  # the full pattern, e.g. "escalations/<str:reference>/"
    name: str | None  # "namespace:name" for reverse(), or None


def iter_routes(resolver: URLResolver | None = None) -> Iterator[Route]:
    """Every URL pattern, walking included URLconfs recursively (admin, apps, third party)."""

    def walk(res: URLResolver, prefix: str, namespaces: tuple[str, ...]) -> Iterator[Route]:
        for entry in res.url_patterns:
            if isinstance(entry, URLResolver):
                ns = (*namespaces, entry.namespace) if entry.namespace else namespaces
                yield from walk(entry, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                full = prefix + str(entry.pattern)
                name = ":".join((*namespaces, entry.name)) if entry.name else None
                yield Route(key=name or full, pattern=full, name=name)

    yield from walk(resolver or get_resolver(), "", ())


def unclassified(routes: list[Route] | None = None) -> list[Route]:
    """Routes that resolve but are not in :data:`ROUTES`."""
    found = routes if routes is not None else list(iter_routes())
    return [r for r in found if r.key not in ROUTES]


def stale(routes: list[Route] | None = None) -> list[str]:
    """Keys in :data:`ROUTES` that no longer resolve."""
    keys = {r.key for r in (routes if routes is not None else iter_routes())}
    return sorted(k for k in ROUTES if k not in keys)
