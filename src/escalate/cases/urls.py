from django.urls import path

from escalate.cases import raising, views

app_name = "cases"
urlpatterns = [
    path("", views.home, name="home"),
    path("escalations/", views.escalation_list, name="list"),
    path("procedure/", views.procedure_page, name="procedure"),
    path("exports/subject-access/", views.subject_access, name="subject-access"),
    path("raise/", raising.raise_start, name="raise-start"),
    path("raise/<slug:step>/", raising.raise_step, name="raise"),
    path("escalations/<str:reference>/", views.escalation_detail, name="detail"),
    path("escalations/<str:reference>/raised/", raising.raised, name="raised"),
    path("escalations/<str:reference>/contact/", views.record_contact, name="contact"),
    path("escalations/<str:reference>/escalate/", views.escalate, name="escalate"),
    path("escalations/<str:reference>/resolve/", views.resolve, name="resolve"),
    path("escalations/<str:reference>/confirm/", views.confirm, name="confirm"),
    path("escalations/<str:reference>/bring-forward/", views.bring_forward, name="bring-forward"),
    path("escalations/<str:reference>/withdraw/", views.withdraw, name="withdraw"),
    path("escalations/<str:reference>/decide/", views.decide, name="decide"),
    path("escalations/<str:reference>/event/", views.record_event, name="event"),
    path("escalations/<str:reference>/duty/", views.record_duty, name="duty"),
    path("escalations/<str:reference>/view/", views.record_view, name="view"),
    path(
        "escalations/<str:reference>/entries/<int:sequence>/correct/",
        views.correct_entry,
        name="correct",
    ),
]
