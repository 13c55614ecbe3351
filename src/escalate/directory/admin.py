"""The directory in Django's admin, for system administrators.

Business units keep their own directory through the service's pages and the CSV import
(``services.directory_import_csv``); the admin is the system administrator's view of all of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from escalate.audit.admin_mixin import AuditedAdminMixin
from escalate.directory.models import (
    Agency,
    ClosureDay,
    PanelSeat,
    Partnership,
    Person,
    StageContact,
)

# django-stubs makes the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    _ClosureDayInline = admin.TabularInline[ClosureDay, Partnership]
    _StageContactInline = admin.TabularInline[StageContact, Agency]
    _PartnershipAdmin = admin.ModelAdmin[Partnership]
    _AgencyAdmin = admin.ModelAdmin[Agency]
    _PersonAdmin = admin.ModelAdmin[Person]
    _StageContactAdmin = admin.ModelAdmin[StageContact]
    _PanelSeatAdmin = admin.ModelAdmin[PanelSeat]
else:
    _ClosureDayInline = _StageContactInline = admin.TabularInline
    _PartnershipAdmin = _AgencyAdmin = _PersonAdmin = _StageContactAdmin = admin.ModelAdmin
    _PanelSeatAdmin = admin.ModelAdmin


class ClosureDayInline(_ClosureDayInline):
    model = ClosureDay
    extra = 0
    fields = ("on", "reason")


@admin.register(Partnership)
class PartnershipAdmin(AuditedAdminMixin, _PartnershipAdmin):
    list_display = (
        "name",
        "short_name",
        "slug",
        "procedure_id",
        "procedure_version",
        "division",
        "agency_count",
    )
    list_filter = ("procedure_id", "division")
    search_fields = ("name", "short_name", "slug")
    inlines = (ClosureDayInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Partnership]:
        queryset: QuerySet[Partnership] = super().get_queryset(request)
        return queryset.annotate(_agency_count=Count("agencies"))

    @admin.display(description="Agencies", ordering="_agency_count")
    def agency_count(self, obj: Partnership) -> int:
        return getattr(obj, "_agency_count", 0)


class StageContactInline(_StageContactInline):
    model = StageContact
    extra = 0
    fields = ("stage", "role", "person")
    autocomplete_fields = ("person",)


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, _AgencyAdmin):
    list_display = ("name", "agency_type", "partnership", "is_active", "people_count")
    list_filter = ("partnership", "agency_type", "is_active")
    search_fields = ("name",)
    list_select_related = ("partnership",)
    inlines = (StageContactInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agency]:
        queryset: QuerySet[Agency] = super().get_queryset(request)
        return queryset.annotate(_people_count=Count("people"))

    @admin.display(description="People", ordering="_people_count")
    def people_count(self, obj: Agency) -> int:
        return getattr(obj, "_people_count", 0)


@admin.register(Person)
class PersonAdmin(AuditedAdminMixin, _PersonAdmin):
    list_display = (
        "name",
        "job_title",
        "level",
        "agency",
        "partnership",
        "email",
        "is_business_unit",
        "user",
        "is_active",
    )
    list_filter = ("agency__partnership", "agency", "level", "is_business_unit", "is_active")
    search_fields = ("name", "job_title", "email")
    list_select_related = ("agency__partnership", "user")
    autocomplete_fields = ("agency",)
    # The accounts app may not register its User admin: a raw id works either way.
    raw_id_fields = ("user",)

    @admin.display(description="Partnership", ordering="agency__partnership__name")
    def partnership(self, obj: Person) -> str:
        return obj.agency.partnership.short_name


@admin.register(StageContact)
class StageContactAdmin(AuditedAdminMixin, _StageContactAdmin):
    list_display = ("agency", "stage", "role", "person", "partnership")
    list_filter = ("agency__partnership", "stage", "agency__agency_type")
    search_fields = ("role", "agency__name", "person__name")
    list_select_related = ("agency__partnership", "person")
    autocomplete_fields = ("agency", "person")

    @admin.display(description="Partnership", ordering="agency__partnership__name")
    def partnership(self, obj: StageContact) -> str:
        return obj.agency.partnership.short_name


@admin.register(PanelSeat)
class PanelSeatAdmin(AuditedAdminMixin, _PanelSeatAdmin):
    """Who may sit on each kind of a partnership's panels, and for which agency: the list the
    business unit chooses a panel's members from (and who reads the escalations referred to a
    panel of that kind)."""

    list_display = ("person", "agency", "kind", "partnership")
    list_filter = ("partnership", "kind")
    search_fields = ("person__name", "agency__name")
    list_select_related = ("partnership", "person", "agency")
    autocomplete_fields = ("person", "agency")
