from django.urls import path

from escalate.audit import views

app_name = "audit"
urlpatterns = [
    path("escalations/<str:reference>/", views.escalation_trail, name="escalation-trail"),
    path("views-of-our-cases/", views.views_of_our_cases, name="views-of-our-cases"),
]
