from django.urls import path

from wellbeing.views import accounts

app_name = "accounts"

urlpatterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("2fa/verify/", accounts.two_factor_verify, name="2fa_verify"),
    path("2fa/setup/", accounts.two_factor_setup, name="2fa_setup"),
]
