from django.urls import path

from escalate.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read-all/", views.mark_all_read, name="read-all"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/feed/", views.feed_reset, name="feed-reset"),
    # Public: a calendar application fetches it with the secret alone (see views.feed).
    path("feed/<slug:secret>.ics", views.feed, name="feed"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", views.outbox_retry, name="outbox-retry"),
]
