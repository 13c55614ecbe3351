from django.contrib.auth.decorators import login_not_required
from django.urls import path

from escalate.sso import views

app_name = "sso"
urlpatterns = [
    # Reached before signing in (even under a site-wide login requirement).
    path("start/", login_not_required(views.SignInStartView.as_view()), name="start"),
    path("callback/", login_not_required(views.CallbackView.as_view()), name="callback"),
    # For a signed-in person who has passed the second factor.
    path("identities/", views.IdentitiesView.as_view(), name="identities"),
    path("identities/link/", views.LinkStartView.as_view(), name="link"),
    path("identities/<int:pk>/unlink/", views.UnlinkView.as_view(), name="unlink"),
]
