"""The start page is each role's own: the template follows the signed-in user's role."""

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_is_invited_to_sign_up(client):
    response = client.get(reverse("home"))
    assert [t.name for t in response.templates][0] == "home/anonymous.html"
    assert reverse("accounts:register") in response.content.decode()


@pytest.mark.parametrize(
    ("factory", "template_name"),
    [
        (PatientFactory, "home/patient.html"),
        (DoctorFactory, "home/doctor.html"),
        (ReceptionFactory, "home/reception.html"),
        (AdminFactory, "home/admin.html"),
    ],
)
def test_each_role_lands_on_its_own_home(client, factory, template_name):
    user = factory()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == template_name
