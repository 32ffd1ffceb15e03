import pytest
from django.test import Client

from accounts.tests.factories import PatientFactory
from medly.tests.test_healthz import DEAD_REDIS


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


@pytest.mark.django_db
def test_a_request_with_a_session_gets_the_503_page_when_redis_is_down(browser, settings):
    browser.force_login(PatientFactory())
    settings.CACHES = DEAD_REDIS

    response = browser.get("/")

    assert response.status_code == 503
    page = response.content.decode()
    assert "Medly is temporarily unavailable" in page
    assert "Traceback" not in page


@pytest.mark.django_db
@pytest.mark.urls("medly.tests.urls_outage")
def test_a_page_that_needs_mongodb_gets_the_503_page_when_it_is_stopped(browser, stoppable_mongo):
    assert browser.get("/reads-a-record/").status_code == 200
    stoppable_mongo.stop()

    response = browser.get("/reads-a-record/")

    assert response.status_code == 503
    assert "Medly is temporarily unavailable" in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_address_gets_the_friendly_404_page(browser):
    response = browser.get("/no-such-page/")

    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("medly.tests.urls_outage")
def test_an_unexpected_error_gets_the_500_page_without_a_traceback(browser, monkeypatch):
    def explode(**kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("records.repository.get_patient_record", explode)

    response = browser.get("/reads-a-record/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "ZeroDivisionError" not in page


@pytest.mark.django_db
def test_a_forbidden_page_gets_the_friendly_403_page(browser):
    browser.force_login(PatientFactory())

    response = browser.post("/admin/accounts/user/1/delete/", {"post": "yes"})

    assert response.status_code in {302, 403}
