from django.urls import path

from twofactor import views

app_name = "twofactor"

urlpatterns = [
    path("", views.security, name="security"),
    path("verify/", views.verify, name="verify"),
    path("authenticator/", views.authenticator, name="authenticator"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("remove/", views.remove, name="remove"),
]
