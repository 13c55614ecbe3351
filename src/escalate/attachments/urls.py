from django.urls import path

from escalate.attachments import views

app_name = "attachments"
urlpatterns = [
    path(
        "escalations/<str:reference>/representations/",
        views.representation_list,
        name="list",
    ),
    path(
        "escalations/<str:reference>/representations/add/",
        views.representation_upload,
        name="upload",
    ),
    path(
        "escalations/<str:reference>/representations/<int:pk>/download/",
        views.representation_download,
        name="download",
    ),
]
