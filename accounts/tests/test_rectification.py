"""ARCO rectification: a patient asks, reception (or an admin) confirms or rejects, every step audited."""

import datetime

import pytest
from django.urls import reverse

from accounts import services
from accounts.exceptions import InvalidRectification, NotAllowed
from accounts.models import PatientProfile, RectificationRequest, RectificationStatus
from accounts.tests.curps import make_curp
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from records.models import AuditEvent

pytestmark = pytest.mark.django_db

REQUEST_URL = reverse("accounts:request_rectification")
DESK_URL = reverse("rectifications:desk")
BORN = datetime.date(1990, 5, 17)


def confirm_url(rectification):
    return reverse("rectifications:confirm", args=[rectification.pk])


def reject_url(rectification):
    return reverse("rectifications:reject", args=[rectification.pk])


@pytest.fixture
def patient():
    return PatientFactory(first_name="Ana", last_name="Pech", profile__date_of_birth=BORN, profile__sex="F")


def ask(client, **data):
    return client.post(REQUEST_URL, {"reason": "", **data})


def test_a_patient_asks_and_reception_confirms_and_the_name_changes(client, patient):
    client.force_login(patient)
    response = ask(client, field="last_name", new_text="  Pech   Canché ", reason="Segundo apellido")
    assert response.status_code == 302
    rectification = RectificationRequest.objects.get()
    assert (rectification.old_value, rectification.new_value, rectification.status) == (
        "Pech",
        "Pech Canché",
        RectificationStatus.PENDING,
    )
    patient.refresh_from_db()
    assert patient.last_name == "Pech"

    reception = ReceptionFactory()
    client.force_login(reception)
    assert client.post(confirm_url(rectification)).status_code == 302

    patient.refresh_from_db()
    assert patient.last_name == "Pech Canché"
    assert "canche" in patient.search_text
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.CONFIRMED
    assert rectification.decided_by == reception
    assert rectification.decided_at is not None
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "user_id", "patient_id"))
    assert actions == [
        ("rectification.request", patient.pk, patient.pk),
        ("rectification.confirm", reception.pk, patient.pk),
    ]
    confirm = AuditEvent.objects.get(action="rectification.confirm")
    assert (confirm.detail["before"], confirm.detail["after"]) == ("Pech", "Pech Canché")


def test_a_confirmed_date_of_birth_is_applied(client, patient):
    client.force_login(patient)
    ask(client, field="date_of_birth", new_date_of_birth="1990-05-18")
    rectification = RectificationRequest.objects.get()
    assert (rectification.old_value, rectification.new_value) == ("1990-05-17", "1990-05-18")

    services.confirm_rectification(rectification_id=rectification.pk, decided_by=AdminFactory())

    assert PatientProfile.objects.get(user=patient).date_of_birth == datetime.date(1990, 5, 18)


def test_a_rejection_changes_nothing_and_is_audited(client, patient):
    client.force_login(patient)
    ask(client, field="sex", new_sex="M")
    rectification = RectificationRequest.objects.get()
    reception = ReceptionFactory()
    client.force_login(reception)

    assert client.post(reject_url(rectification)).status_code == 302

    assert PatientProfile.objects.get(user=patient).sex == "F"
    rectification.refresh_from_db()
    assert (rectification.status, rectification.decided_by) == (RectificationStatus.REJECTED, reception)
    assert AuditEvent.objects.filter(action="rectification.reject", user=reception, patient_id=patient.pk).exists()


def test_a_patient_sees_the_state_of_their_requests(client, patient):
    client.force_login(patient)
    ask(client, field="first_name", new_text="Ana María")
    services.reject_rectification(rectification_id=RectificationRequest.objects.get().pk, decided_by=ReceptionFactory())

    page = client.get(reverse("accounts:profile")).content.decode()

    assert "Ana María" in page
    assert "Not corrected" in page


def test_a_patient_cannot_decide_any_request_not_even_their_own(client, patient):
    client.force_login(patient)
    ask(client, field="first_name", new_text="Ana María")
    rectification = RectificationRequest.objects.get()

    assert client.post(confirm_url(rectification)).status_code == 403
    assert client.post(reject_url(rectification)).status_code == 403
    assert client.get(DESK_URL).status_code == 403
    with pytest.raises(NotAllowed):
        services.confirm_rectification(rectification_id=rectification.pk, decided_by=patient)
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.PENDING
    patient.refresh_from_db()
    assert patient.first_name == "Ana"


def test_doctors_may_not_decide(client, patient):
    rectification = services.request_rectification(patient=patient, field="first_name", value="Anita")
    client.force_login(DoctorFactory())

    assert client.post(confirm_url(rectification)).status_code == 403
    assert RectificationRequest.objects.get().status == RectificationStatus.PENDING


def test_staff_cannot_ask_for_corrections(client):
    client.force_login(ReceptionFactory())

    assert ask(client, field="first_name", new_text="X").status_code == 403
    assert not RectificationRequest.objects.exists()


def test_a_request_decided_twice_is_refused_the_second_time(client, patient):
    rectification = services.request_rectification(patient=patient, field="first_name", value="Anita")
    client.force_login(ReceptionFactory())
    client.post(reject_url(rectification))

    response = client.post(confirm_url(rectification), follow=True)

    assert "This correction request has already been decided." in response.content.decode()
    patient.refresh_from_db()
    assert patient.first_name == "Ana"


def test_an_unknown_request_is_404(client):
    client.force_login(ReceptionFactory())

    assert client.post(reverse("rectifications:confirm", args=[999999])).status_code == 404


def test_a_curp_that_contradicts_the_date_of_birth_is_refused_when_asked(client, patient):
    client.force_login(patient)

    response = ask(client, field="curp", new_text=make_curp(datetime.date(1990, 5, 18), "M"))

    assert response.status_code == 400
    assert response.context["rectification_form"].errors["new_text"] == [
        "The CURP says another date of birth. Check both against the CURP certificate."
    ]
    assert not RectificationRequest.objects.exists()


def test_an_agreeing_curp_is_stored_in_capitals_once_confirmed(client, patient):
    curp = make_curp(BORN, "M")
    client.force_login(patient)
    ask(client, field="curp", new_text=curp.lower())

    services.confirm_rectification(
        rectification_id=RectificationRequest.objects.get().pk, decided_by=ReceptionFactory()
    )

    assert PatientProfile.objects.get(user=patient).curp == curp


def test_a_curp_another_patient_has_is_refused(patient):
    curp = make_curp(BORN, "M")
    PatientFactory(profile__curp=curp)

    with pytest.raises(InvalidRectification, match="A patient with this CURP already exists."):
        services.request_rectification(patient=patient, field="curp", value=curp)


def test_confirmation_checks_again_against_the_details_as_they_are_then(patient):
    curp = make_curp(BORN, "M")
    sex_change = services.request_rectification(patient=patient, field="sex", value="M")
    curp_change = services.request_rectification(patient=patient, field="curp", value=curp)
    services.confirm_rectification(rectification_id=sex_change.pk, decided_by=ReceptionFactory())

    with pytest.raises(InvalidRectification, match="The CURP says another sex"):
        services.confirm_rectification(rectification_id=curp_change.pk, decided_by=ReceptionFactory())

    assert PatientProfile.objects.get(user=patient).curp is None
    assert RectificationRequest.objects.get(pk=curp_change.pk).status == RectificationStatus.PENDING
    assert not AuditEvent.objects.filter(action="rectification.confirm", detail__rectification_id=curp_change.pk)


@pytest.mark.parametrize(
    "data",
    [
        {"field": "date_of_birth", "new_date_of_birth": "2999-01-01"},
        {"field": "date_of_birth", "new_date_of_birth": "yesterday"},
        {"field": "date_of_birth"},
        {"field": "sex", "new_sex": "Q"},
        {"field": "curp", "new_text": "NOTACURP"},
        {"field": "first_name", "new_text": "   "},
        {"field": "first_name", "new_text": "Ana"},
        {"field": "password", "new_text": "x"},
    ],
)
def test_bad_requests_are_explained_and_record_nothing(client, patient, data):
    client.force_login(patient)

    response = ask(client, **data)

    assert response.status_code == 400
    assert response.context["rectification_form"].errors
    assert not RectificationRequest.objects.exists()
    assert not AuditEvent.objects.exists()


def test_one_request_per_field_waits_at_a_time(patient):
    services.request_rectification(patient=patient, field="first_name", value="Anita")

    with pytest.raises(InvalidRectification):
        services.request_rectification(patient=patient, field="first_name", value="Ana María")


def test_the_desk_lists_pending_and_decided_requests_in_a_fixed_number_of_queries(client, django_assert_num_queries):
    for number in range(3):
        patient = PatientFactory(first_name=f"Paciente{number}")
        services.request_rectification(patient=patient, field="first_name", value=f"Nombre{number}")
    decided = services.request_rectification(patient=PatientFactory(), field="sex", value="X")
    reception = ReceptionFactory()
    services.reject_rectification(rectification_id=decided.pk, decided_by=reception)
    client.force_login(reception)
    client.get(DESK_URL)

    # session user, pending, decided
    with django_assert_num_queries(3):
        page = client.get(DESK_URL)

    html = page.content.decode()
    for number in range(3):
        assert f"Nombre{number}" in html
        assert confirm_url(RectificationRequest.objects.get(new_value=f"Nombre{number}")) in html
    assert "Not corrected" in html


def test_reception_sees_the_desk_link(client):
    client.force_login(ReceptionFactory())

    assert DESK_URL in client.get(reverse("home")).content.decode()


def test_admins_read_the_history_in_admin_and_change_nothing_there(client, patient):
    rectification = services.request_rectification(patient=patient, field="first_name", value="Anita")
    client.force_login(AdminFactory())

    listing = client.get(reverse("admin:accounts_rectificationrequest_changelist"))

    assert listing.status_code == 200
    assert "Anita" in listing.content.decode()
    change = reverse("admin:accounts_rectificationrequest_change", args=[rectification.pk])
    client.post(change, {"status": "confirmed"})
    assert RectificationRequest.objects.get().status == RectificationStatus.PENDING
