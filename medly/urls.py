from django.contrib import admin
from django.urls import include, path

from medly import views
from twofactor import passkeys

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("accounts/2fa/", include("twofactor.urls")),
    # The same address as the library's own step, resolved first: a new passkey is audited.
    path("accounts/2fa/passkeys/registration/complete/", passkeys.AuditedRegistrationView.as_view()),
    path("accounts/2fa/passkeys/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
    path("favicon.ico", views.favicon),
    path("accounts/", include("accounts.urls")),
    path("desk/rectifications/", include("accounts.desk_urls")),
    path("", include("scheduling.urls")),
    path("", include("records.urls")),
    path("", include("waitlist.urls")),
    path("", include("reminders.urls")),
    path("", include("desk.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler403 = "medly.views.permission_denied"
handler404 = "medly.views.page_not_found"
handler500 = "medly.views.server_error"
