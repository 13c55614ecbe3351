import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalate.config.settings.local")
application = get_wsgi_application()

# Load the procedure definitions, the calendars, the URL map and the main templates now, in the
# worker's boot, not on its first request.
from escalate.web.warm import warm_up_web  # noqa: E402 - needs the application set up first

warm_up_web()
