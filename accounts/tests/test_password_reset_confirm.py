"""A reset (or "set your password") link lets its owner choose a password once."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-and-long-passphrase-2026"


def reset_link(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)])


def test_a_valid_link_sets_the_password_and_then_stops_working(client):
    user = PatientFactory()
    link = reset_link(user)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(link, follow=True).context["validlink"] is False


def test_a_forged_link_is_refused_without_an_error(client):
    user = PatientFactory()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    response = client.get(reverse("accounts:password_reset_confirm", args=[uid, "set-password"]), follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is False
