import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalate.config.settings.local")
application = get_wsgi_application()

# Load the procedure definitions and the calendars now, in the worker's boot, not on its first
# request.
from escalate.web.warm import warm_up  # noqa: E402 - needs the application set up first

warm_up()
