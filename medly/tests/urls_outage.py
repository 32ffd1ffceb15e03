"""A page that reads the records store, to watch how outages surface."""

from django.http import HttpResponse
from django.urls import include, path

from medly.urls import handler403, handler404, handler500  # noqa: F401  (the same error pages)
from records import repository


def reads_a_record(request):
    repository.get_patient_record(patient_id=1)
    return HttpResponse("read")


urlpatterns = [
    path("reads-a-record/", reads_a_record),
    path("", include("medly.urls")),
]
