"""A fresh process loads the definitions, calendars and main templates at boot, not on its
first request."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_wsgi_boot_loads_the_registry_calendars_and_main_templates() -> None:
    # A fresh interpreter: in this one the test suite has long since loaded both.
    code = textwrap.dedent(
        """
        import os
        os.environ["DJANGO_SETTINGS_MODULE"] = "escalate.config.settings.test"
        import django
        django.setup()
        from escalate.directory.procedures import registry
        from escalate.procedures.calendar import working_calendar
        assert registry.cache_info().currsize == 0
        import escalate.config.wsgi  # noqa: F401
        assert registry.cache_info().currsize == 1, registry.cache_info()
        assert working_calendar.cache_info().currsize >= 3, working_calendar.cache_info()
        from django.template import engines
        from escalate.web.warm import TEMPLATES
        cached = engines["django"].engine.template_loaders[0].get_template_cache
        assert all(name in cached for name in TEMPLATES), sorted(cached)
        print("warm")
        """
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "warm"
