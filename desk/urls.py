from django.urls import path

from desk import views

app_name = "desk"

urlpatterns = [
    path("desk/", views.day, name="day"),
    path("desk/patients/new/", views.register_patient, name="register_patient"),
    path("desk/book/", views.book, name="book"),
    path("desk/appointments/<int:appointment_id>/check-in/", views.confirm_check_in, name="confirm_check_in"),
    path("desk/appointments/<int:appointment_id>/no-show/", views.confirm_no_show, name="confirm_no_show"),
    path("desk/appointments/<int:appointment_id>/cancel/", views.confirm_cancel, name="confirm_cancel"),
]
