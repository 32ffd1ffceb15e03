from django.urls import path

from records import views

app_name = "records"

urlpatterns = [
    path("appointments/<int:appointment_id>/consultation/", views.consultation, name="consultation"),
    path("patients/", views.patient_list, name="patients"),
    path("patients/<int:patient_id>/record/", views.patient_record, name="patient_record"),
    path("patients/<int:patient_id>/record/update/", views.update_record, name="update_record"),
    path(
        "patients/<int:patient_id>/record/encounters/<str:encounter_id>/addendum/",
        views.add_addendum,
        name="add_addendum",
    ),
    path(
        "patients/<int:patient_id>/record/encounters/<str:encounter_id>/prescription/",
        views.prescription,
        name="prescription",
    ),
    path("me/record/", views.my_record, name="my_record"),
]
