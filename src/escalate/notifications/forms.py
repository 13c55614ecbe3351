"""The forms of the notification pages (GOV.UK patterns; see ``escalate.web.govuk_forms``)."""

from __future__ import annotations

from django import forms

from escalate.notifications.models import Delivery, Status
from escalate.web.govuk_forms import GovukForm

DELIVERY_ERROR = "Select how you want to hear about updates that are not urgent"


class DeliveryForm(GovukForm):
    delivery = forms.ChoiceField(
        label="How do you want to hear about updates that are not urgent?",
        choices=[
            (Delivery.IMMEDIATE.value, "Send me an e-mail for each update as it happens"),
            (Delivery.DIGEST.value, "Send me one e-mail a day with all of them"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": DELIVERY_ERROR, "invalid_choice": DELIVERY_ERROR},
    )


class OutboxFilterForm(forms.Form):
    """The outbox's status filter, read from the query string; anything else is ignored."""

    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Status.choices]
    )
