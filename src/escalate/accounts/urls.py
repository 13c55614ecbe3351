from django.urls import path

from escalate.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account, name="account"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-in/code/", views.verify, name="verify"),
    path("sign-in/recovery-code/", views.recovery_code, name="recovery-code"),
    path("set-up/", views.set_up, name="set-up"),
    path("set-up/qr-code.svg", views.set_up_qr, name="set-up-qr"),
    path("recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("recovery-codes/new/", views.new_recovery_codes, name="new-recovery-codes"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="sign-out-everywhere"),
    path("signed-out/", views.timed_out, name="timed-out"),
    path("session/", views.session, name="session"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
]
