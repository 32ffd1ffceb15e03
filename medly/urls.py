from django.contrib import admin
from django.urls import include, path

from medly import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("favicon.ico", views.favicon),
    path("accounts/", include("accounts.urls")),
    path("", include("scheduling.urls")),
    path("", include("records.urls")),
    path("", include("waitlist.urls")),
    path("", include("reminders.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler403 = "medly.views.permission_denied"
handler404 = "medly.views.page_not_found"
handler500 = "medly.views.server_error"
