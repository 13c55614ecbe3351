from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("escalate.cases.urls")),
    path("", include("escalate.attachments.urls")),
    path("", include("escalate.documents.urls")),
    path("", include("escalate.panels.urls")),
    path("account/", include("escalate.accounts.urls")),
    path("sso/", include("escalate.sso.urls")),
    path("directory/", include("escalate.directory.urls")),
    path("audit/", include("escalate.audit.urls")),
    path("notifications/", include("escalate.notifications.urls")),
    path("board/", include("escalate.insights.urls")),
]
