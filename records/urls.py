from django.urls import path

from records import history_views, views

app_name = "records"

urlpatterns = [
    path("appointments/<int:appointment_id>/consultation/", views.consultation, name="consultation"),
    path("cie10/", views.cie10_search, name="cie10_search"),
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
    path("patients/<int:patient_id>/history/", history_views.history, name="history"),
    path("patients/<int:patient_id>/history/addenda/", history_views.add_history_addendum, name="history_addendum"),
    path("me/record/", views.my_record, name="my_record"),
    path("me/export/", views.my_export, {"export_format": "json"}, name="my_export"),
    path("me/export/fhir/", views.my_export, {"export_format": "fhir"}, name="my_export_fhir"),
    path(
        "patients/<int:patient_id>/record/export/",
        views.patient_export,
        {"export_format": "json"},
        name="patient_export",
    ),
    path(
        "patients/<int:patient_id>/record/export/fhir/",
        views.patient_export,
        {"export_format": "fhir"},
        name="patient_export_fhir",
    ),
]
