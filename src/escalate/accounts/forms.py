"""Sign-in, second-factor and password forms, with GOV.UK wording."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from escalate.accounts.models import User
from escalate.web.govuk_forms import GovukForm, GovukFormMixin

RULES_HINT = (
    "Use at least 12 characters. Do not use a common password, only numbers, or anything like "
    "your name, username or email address."
)
#: GOV.UK wording for Django's password validators' errors, by error code.
PASSWORD_ERRORS = {
    "password_too_short": "Password must be 12 characters or more",
    "password_too_common": "Password is too common: choose one that is harder to guess",
    "password_entirely_numeric": "Password must not be only numbers",
    "password_too_similar": "Password must not be like your name, username or email address",
}
PASSWORDS_DIFFER = "Passwords must match"
WRONG_CURRENT_PASSWORD = "The current password is not correct"  # noqa: S105

CODE_REQUIRED = "Enter the 6-digit code from your authenticator app"
CODE_FORMAT = "Enter the code as 6 digits, like 123456"
CODE_WRONG = "The code is not correct: enter the code your app shows now"
CODE_TOO_SOON = "Wait {wait}, then enter the code your app shows"
RECOVERY_REQUIRED = "Enter a recovery code"
RECOVERY_WRONG = "The recovery code is not correct, or has already been used"


class SignInForm(auth_forms.AuthenticationForm):
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


class CodeForm(GovukForm):
    """The 6-digit code from an authenticator app (GOV.UK "security code" pattern)."""

    otp_token = forms.CharField(
        label="Enter the 6-digit code from your authenticator app",
        max_length=20,
        error_messages={"required": CODE_REQUIRED, "max_length": CODE_FORMAT},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        ),
    )

    def clean_otp_token(self) -> str:
        value = "".join(str(self.cleaned_data["otp_token"]).split())
        if not value.isdigit() or len(value) != 6:
            raise ValidationError(CODE_FORMAT, code="format")
        return value


class RecoveryCodeForm(GovukForm):
    recovery_code = forms.CharField(
        label="Enter a recovery code",
        max_length=40,
        help_text="One of the codes you saved when you set up your authenticator app",
        error_messages={"required": RECOVERY_REQUIRED, "max_length": RECOVERY_WRONG},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class _GovukPasswordMixin:
    """New-password fields with a plain hint and GOV.UK error messages, checked against the
    password validators, the error shown on the new password itself."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    add_error: Any

    def _set_new_password_fields(self) -> None:
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.strip = False  # a password is what was typed, spaces and all
                field.widget.attrs.pop("autofocus", None)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label, first.help_text = "New password", RULES_HINT
        second.label, second.help_text = "Confirm new password", ""
        first.error_messages["required"] = "Enter a new password"
        second.error_messages["required"] = "Confirm your new password"

    def validate_passwords(
        self, password1_field_name: str = "new_password1", password2_field_name: str = ""
    ) -> None:
        first = self.cleaned_data.get("new_password1")
        second = self.cleaned_data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", ValidationError(PASSWORDS_DIFFER, code="mismatch"))

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        password = self.cleaned_data.get("new_password1")
        if not password:
            return
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            messages = []
            for item in error.error_list:
                text = PASSWORD_ERRORS.get(item.code or "") or " ".join(item.messages)
                if text not in messages:
                    messages.append(text)
            self.add_error("new_password1", ValidationError(messages))


class PasswordChangeForm(_GovukPasswordMixin, GovukFormMixin, auth_forms.PasswordChangeForm):
    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": WRONG_CURRENT_PASSWORD,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        old = self.fields["old_password"]
        old.label = "Current password"
        old.error_messages["required"] = "Enter your current password"
        self._set_new_password_fields()


class SetPasswordForm(_GovukPasswordMixin, GovukFormMixin, auth_forms.SetPasswordForm[User]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_new_password_fields()


class PasswordResetForm(GovukFormMixin, auth_forms.PasswordResetForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        email.label = "Email address"
        email.help_text = "The address your Escalate account uses"
        email.error_messages["required"] = "Enter your email address"
