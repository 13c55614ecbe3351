from django.urls import path

from escalate.directory import views

app_name = "directory"
urlpatterns = [
    path("import/", views.directory_import, name="import"),
]
