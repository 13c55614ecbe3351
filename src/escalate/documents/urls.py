from django.urls import path

from escalate.documents import views

app_name = "documents"
FORM = "escalations/<str:reference>/forms/<slug:form_id>/"
urlpatterns = [
    path(FORM, views.form_page, name="form"),
    path(f"{FORM}edit/", views.edit, name="edit"),
    path(f"{FORM}sign/", views.sign, name="sign"),
    path(f"{FORM}send/", views.submit, name="submit"),
    path(f"{FORM}new-version/", views.new_version, name="new-version"),
    path(f"{FORM}versions/<int:number>/", views.version_page, name="version"),
    path(f"{FORM}versions/<int:number>/pdf/", views.pdf_download, name="pdf"),
]
