from django.urls import path

from accounts import views

app_name = "rectifications"

urlpatterns = [
    path("", views.rectification_desk, name="desk"),
    path("<int:rectification_id>/confirm/", views.confirm_rectification, name="confirm"),
    path("<int:rectification_id>/reject/", views.reject_rectification, name="reject"),
]
