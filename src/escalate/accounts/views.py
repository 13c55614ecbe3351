"""Sign-in and sign-out. (Multi-factor authentication and SSO come with the access issue.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        error_messages={"required": "Enter your username"},
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "Enter a correct username and password",
        "inactive": "This account is not active",
    }


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.ESCALATE_DEMO:
            from escalate.directory.demo import DEMO_PASSWORD, demo_sign_ins

            context["demo_sign_ins"] = demo_sign_ins()
            context["demo_password"] = DEMO_PASSWORD
        return context


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]
