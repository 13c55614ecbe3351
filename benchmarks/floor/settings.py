"""The application's production settings with one view and no middleware (``floor.urls``).

The view does what every audited page must do before it can show anything: read the signed-in
session (one query) and append an audit entry to its partnership's chain (the chain's lock, its
head, the insert) in a transaction that commits. No templates, no other query. Its requests a
second bound those of any audited page from above, on the same machine and database.
"""

from escalate.config.settings.production import *  # noqa: F403

ROOT_URLCONF = "floor.urls"
MIDDLEWARE = []
