"""The clinic's name, address and phone in every page's footer, read from the cache and fresh after a save."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from redis.exceptions import ReadOnlyError

from accounts.tests.factories import AdminFactory
from medly.clinic import maps_url, with_clinic_phone
from records.models import CLINIC_DETAILS_CACHE_KEY, ClinicDetails

pytestmark = pytest.mark.django_db


def footer_of(response):
    return response.text.split('<footer class="site-footer container">')[1]


def test_every_page_shows_the_clinic_address_and_phone_in_its_footer(client):
    ClinicDetails(
        name="Clínica Ceiba", address="Calle 60 #123\nCentro, Mérida", legal_owner="X", phone="999 123 4567"
    ).save()

    for url in (reverse("home"), reverse("scheduling:directory"), reverse("accounts:login")):
        footer = footer_of(client.get(url))
        assert "Clínica Ceiba" in footer and "Calle 60 #123" in footer and "Centro, Mérida" in footer, url
        assert '<a href="tel:9991234567">999 123 4567</a>' in footer, url


def test_without_clinic_details_the_footer_shows_no_empty_contact(client):
    footer = footer_of(client.get(reverse("home")))

    assert "clinic-contact" not in footer


def test_the_cached_details_cost_no_query(client, django_assert_num_queries):
    ClinicDetails(name="Clínica Ceiba", address="Calle 60", legal_owner="X", phone="999").save()
    client.get(reverse("home"))  # the first page after a save reads them

    with django_assert_num_queries(0):
        assert ClinicDetails.cached().phone == "999"


def test_saving_in_the_admin_shows_the_new_details_on_the_next_page(client):
    ClinicDetails(name="Clínica Ceiba", address="Calle 60", legal_owner="Ceiba SC", phone="999 111 1111").save()
    assert "999 111 1111" in footer_of(client.get(reverse("home")))
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:records_clinicdetails_change", args=[1]),
        {
            "name": "Clínica Ceiba",
            "address": "Calle 62 #500",
            "legal_owner": "Ceiba SC",
            "clues": "",
            "phone": "999 222 2222",
        },
    )

    assert response.status_code == 302
    client.logout()
    footer = footer_of(client.get(reverse("home")))
    assert "999 222 2222" in footer and "Calle 62 #500" in footer
    assert "999 111 1111" not in footer


def test_a_save_forgets_the_cached_copy():
    ClinicDetails.cached()
    assert cache.get(CLINIC_DETAILS_CACHE_KEY) is not None

    ClinicDetails(name="Clínica", address="", legal_owner="X").save()

    assert cache.get(CLINIC_DETAILS_CACHE_KEY) is None


def test_call_the_clinic_messages_carry_the_number_when_there_is_one():
    assert with_clinic_phone("Please call the clinic.") == "Please call the clinic."

    ClinicDetails(name="Clínica", address="", legal_owner="X", phone="999 123 4567").save()

    assert with_clinic_phone("Please call the clinic.") == (
        "Please call the clinic. The clinic’s phone number is 999 123 4567."
    )


def test_the_map_link_searches_for_the_clinic_and_its_address():
    assert maps_url(ClinicDetails(name="Medly", address="")) == ""
    assert maps_url(ClinicDetails(name="Clínica", address="Calle 60\nMérida")) == (
        "https://www.google.com/maps/search/?api=1&query=Cl%C3%ADnica%2C+Calle+60%2C+M%C3%A9rida"
    )


def test_a_cache_that_cannot_store_them_still_leaves_the_footer_showing_them(client, monkeypatch):
    ClinicDetails(name="Clínica Ceiba", address="Calle 60", legal_owner="X", phone="999 123 4567").save()

    class ReadOnlyReplica:
        def get(self, key):
            return None

        def set(self, *args, **kwargs):
            raise ReadOnlyError("You can't write against a read only replica.")

    monkeypatch.setattr("records.models.cache", ReadOnlyReplica())

    response = client.get(reverse("scheduling:directory"))

    assert response.status_code == 200
    assert "999 123 4567" in footer_of(response)
