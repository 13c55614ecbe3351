from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings


@pytest.fixture(autouse=True)
def _govuk_tag_library(settings: Any) -> None:
    """Make ``{% load govuk %}`` work even before ``escalate.web`` is in INSTALLED_APPS."""
    if "escalate.web" not in django_settings.INSTALLED_APPS:
        templates = [dict(engine) for engine in settings.TEMPLATES]
        options = dict(templates[0].get("OPTIONS", {}))
        options["libraries"] = {
            **options.get("libraries", {}),
            "govuk": "escalate.web.templatetags.govuk",
        }
        templates[0]["OPTIONS"] = options
        settings.TEMPLATES = templates
