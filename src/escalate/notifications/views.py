"""Thin views: the notifications page, how you hear, the calendar feed and the business unit's
outbox. Each asks a selector or calls one service, passing the real time."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from escalate import timekeeping
from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.audit.services import audit_record
from escalate.cases import access
from escalate.cases.actors import Actor
from escalate.directory.models import Person
from escalate.notifications import feeds, forms, selectors, services
from escalate.notifications import messages as wording
from escalate.notifications.models import Delivery, Notification, Status
from escalate.web import paging

GET_ONLY = require_http_methods(["GET", "HEAD"])
GET_POST = require_http_methods(["GET", "HEAD", "POST"])
POST_ONLY = require_http_methods(["POST"])
PER_PAGE = 25
OUTBOX_PER_PAGE = 50

SAVED = {
    Delivery.IMMEDIATE: "You will get an e-mail for each update as it happens.",
    Delivery.DIGEST: "You will get one e-mail a day with the updates that are not urgent.",
}
ALL_READ = "All your notifications are marked as read."


def _person_or_404(request: HttpRequest) -> Person:
    person = access.person_of(request.user)
    if person is None:
        raise Http404
    return person


def _refused(request: HttpRequest, person: Person, notification_id: int) -> Http404:
    """Record a refused row id (another person's, another partnership's, or none) and give the
    404 to raise: whether the row exists is not told."""
    match = request.resolver_match
    audit_record(
        actor=request.user,
        action=AuditAction.ACCESS_DENIED,
        object_type=ObjectType.NOTIFICATION,
        object_ref=str(notification_id),
        partnership_id=person.agency.partnership_id,
        result=AuditResult.REFUSED,
        detail={"page": match.view_name} if match else None,
    )
    return Http404()


# -- the notifications page -------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    notification: Notification
    title: str
    text: str


def _item(n: Notification) -> Item:
    message = wording.render(n)
    title = message.subject.removeprefix(f"{wording.PREFIX}: ")
    return Item(notification=n, title=title, text=message.body.split("\n\n", 1)[0])


@login_required
@GET_ONLY
def notification_list(request: HttpRequest) -> HttpResponse:
    person = _person_or_404(request)
    now = timekeeping.now()
    inbox = selectors.inbox_for(person, now=now)
    page = paging.paginate(request, inbox, per_page=PER_PAGE)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "items": [_item(n) for n in page.object_list],
            "unread": selectors.unread_count(person.pk, now=now),
            "outbox": person.is_business_unit,
        },
    )


def _local_path(link: str) -> str | None:
    """The path of a message's link on this site (links start with ESCALATE_SITE_URL)."""
    parts = urlsplit(link)
    path = parts.path
    if not path.startswith("/") or not url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        return None
    return path


@login_required
@GET_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of your own items read and go to its escalation."""
    person = _person_or_404(request)
    try:
        n = services.notification_mark_read(
            actor=Actor.of(request.user), notification_id=pk, now=timekeeping.now()
        )
    except services.NotificationNotFound:
        raise _refused(request, person, pk) from None
    target = _local_path(wording.render(n).link)
    return redirect(target or reverse("cases:detail", args=[n.reference]))


@login_required
@POST_ONLY
def mark_all_read(request: HttpRequest) -> HttpResponse:
    _person_or_404(request)
    services.notifications_mark_all_read(actor=Actor.of(request.user), now=timekeeping.now())
    messages.success(request, ALL_READ)
    return redirect("notifications:list")


# -- how you hear -----------------------------------------------------------------------------


def _preferences_context(person: Person) -> dict[str, object]:
    pref = selectors.preference_of(person)
    return {"pref": pref, "has_feed": bool(pref.feed_secret_hash)}


@login_required
@GET_POST
def preferences(request: HttpRequest) -> HttpResponse:
    person = _person_or_404(request)
    current = selectors.preference_of(person)
    posted = request.POST if request.method == "POST" else None
    form = forms.DeliveryForm(posted, initial={"delivery": current.delivery})
    if request.method == "POST" and form.is_valid():
        delivery = form.cleaned_data["delivery"]
        services.preference_set_delivery(actor=Actor.of(request.user), delivery=delivery)
        messages.success(request, SAVED[Delivery(delivery)])
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, **_preferences_context(person)},
    )


@login_required
@POST_ONLY
def feed_reset(request: HttpRequest) -> HttpResponse:
    """Make a new feed address and show it, this once."""
    _person_or_404(request)
    secret = services.calendar_feed_reset(actor=Actor.of(request.user), now=timekeeping.now())
    path = reverse("notifications:feed", kwargs={"secret": secret})
    return render(
        request,
        "notifications/feed_created.html",
        {"feed_url": f"{settings.ESCALATE_SITE_URL}{path}"},
    )


def _not_found_unlogged() -> HttpResponse:
    """A 404 that Django does not log: its path is the secret. (``django.request`` logs every
    4xx response with its path unless the response says it has been logged.)"""
    response = HttpResponseNotFound("Not found", content_type="text/plain; charset=utf-8")
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@GET_ONLY
def feed(request: HttpRequest, secret: str) -> HttpResponse:
    """Public (calendar applications cannot sign in): the secret is the key. Never log it."""
    owner = selectors.feed_owner(secret)
    if owner is None:
        return _not_found_unlogged()
    body = feeds.calendar_for(selectors.held_deadlines(owner), now=timekeeping.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="escalate.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# -- the business unit's outbox ---------------------------------------------------------------


def _business_unit_or_404(request: HttpRequest) -> Person:
    person = access.business_unit_person(request.user)
    if person is None:
        raise Http404
    return person


@login_required
@GET_ONLY
def outbox(request: HttpRequest) -> HttpResponse:
    person = _business_unit_or_404(request)
    filter_form = forms.OutboxFilterForm(request.GET or None)
    status = ""
    if filter_form.is_bound and filter_form.is_valid():
        status = filter_form.cleaned_data["status"]
    rows = selectors.outbox_for(person, status or None)
    page = paging.paginate(request, rows, per_page=OUTBOX_PER_PAGE)
    return render(
        request,
        "notifications/outbox.html",
        {
            "filter_form": filter_form,
            "status": status,
            "status_label": Status(status).label if status else "",
            "page": page,
            "counts": selectors.outbox_counts(person),
            "retryable": [s.value for s in services.RETRYABLE],
            "partnership": person.agency.partnership,
        },
    )


@login_required
@POST_ONLY
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    person = _business_unit_or_404(request)
    try:
        n = services.notification_retry(
            actor=Actor.of(request.user), notification_id=pk, now=timekeeping.now()
        )
    except services.NotificationNotFound:
        raise _refused(request, person, pk) from None
    except services.NotRetryable as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, f"The message about {n.reference} will be sent again.")
    back = reverse("notifications:outbox")
    status = request.POST.get("status", "")
    if status in Status.values:
        back += f"?status={status}"
    return redirect(back)
