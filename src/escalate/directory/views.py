"""The business unit's directory page: import agencies, people and stage contacts from CSV."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from escalate.directory.people import business_unit_person
from escalate.directory.services import directory_import_csv

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="Save the spreadsheet as 'CSV UTF-8 (comma delimited)'. Up to 2 MB.",
        error_messages={"required": "Select a CSV file", "empty": "The selected file is empty"},
    )
    dry_run = forms.BooleanField(label="Check the file only: do not save anything", required=False)

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 2 MB")
        return upload


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def directory_import(request: HttpRequest) -> HttpResponse:
    person = business_unit_person(request.user)
    if person is None:
        raise Http404
    partnership = person.agency.partnership
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data["file"].read()
            report = directory_import_csv(
                partnership=partnership,
                text=data,
                dry_run=form.cleaned_data["dry_run"],
                actor=request.user,
                via="page",
            )
            if report.error is not None:
                form.add_error("file", report.error)
                report = None
    else:
        form = ImportForm()
    return render(
        request,
        "directory/import.html",
        {"form": form, "report": report, "partnership": partnership},
    )
