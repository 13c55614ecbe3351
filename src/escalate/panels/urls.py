from django.urls import path

from escalate.panels import views

app_name = "panels"
urlpatterns = [
    path("escalations/<str:reference>/panels/", views.panel_page, name="page"),
    path("escalations/<str:reference>/panels/convene/", views.convene, name="convene"),
    path("escalations/<str:reference>/panels/<int:pk>/members/", views.members, name="members"),
    path("escalations/<str:reference>/outcome/", views.outcome, name="outcome"),
    path(
        "escalations/<str:reference>/recommendations/<int:pk>/respond/",
        views.respond,
        name="respond",
    ),
]
