"""A doctor's public profile: the page they edit it on, the photo checks, and how patients see it."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import DoctorProfile
from accounts.photos import MAX_PHOTO_BYTES, PHOTO_SIZE
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("scheduling:my_public_profile")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_file(image_format="JPEG", size=(1200, 900), *, name=None, exif=None, mode="RGB"):
    buffer = io.BytesIO()
    image = Image.new(mode, size, "#3366aa" if mode == "RGB" else 0)
    options = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=image_format, **options)
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}[image_format]
    return SimpleUploadedFile(name or f"me.{extension}", buffer.getvalue(), content_type=f"image/{extension}")


def profile_data(**overrides):
    return {"bio": "Cardióloga en Mérida.", "consultation_fee": "950.50", "languages": ["es", "en"], **overrides}


@pytest.fixture
def doctor(client):
    doctor = DoctorFactory(first_name="Lucía", last_name="Chablé")
    client.force_login(doctor)
    return doctor


def stored_profile(doctor):
    return DoctorProfile.objects.get(user=doctor)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_doctor_saves_bio_fee_languages_and_a_photo_which_is_stored_re_encoded(client, doctor, image_format):
    response = client.post(PROFILE_URL, profile_data(photo=image_file(image_format)))

    assert response.status_code == 302
    profile = stored_profile(doctor)
    assert (profile.bio, profile.consultation_fee, profile.languages) == (
        "Cardióloga en Mérida.",
        Decimal("950.50"),
        ["es", "en"],
    )
    with profile.photo.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("JPEG", (PHOTO_SIZE, PHOTO_SIZE))


def test_the_photos_metadata_is_not_kept(client, doctor):
    exif = Image.Exif()
    exif[0x010F] = "Secret Camera Maker"  # Make
    client.post(PROFILE_URL, profile_data(photo=image_file("JPEG", exif=exif)))

    with stored_profile(doctor).photo.open("rb") as stored:
        content = stored.read()
    assert b"Secret Camera Maker" not in content
    assert not Image.open(io.BytesIO(content)).getexif()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("me.jpg", b"this is not an image at all", content_type="image/jpeg"), "not a JPEG"),
        (SimpleUploadedFile("me.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, content_type="image/jpeg"), "not a JPEG"),
        ("gif", "not a JPEG"),
        ("oversize", "larger than 5 MB"),
        ("bomb", "too many pixels"),
    ],
)
def test_a_bad_photo_is_refused_with_a_clear_message_and_nothing_changes(client, doctor, upload, message):
    if upload == "gif":
        upload = image_file("GIF", mode="P")
    elif upload == "oversize":
        upload = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\x00" * MAX_PHOTO_BYTES, content_type="image/jpeg")
    elif upload == "bomb":
        # 10,000 × 10,000 black pixels pack into a few kilobytes of PNG and unpack into 100 megapixels.
        upload = image_file("PNG", size=(10_000, 10_000), mode="1")
        assert upload.size < 100_000

    response = client.post(PROFILE_URL, profile_data(photo=upload))

    assert response.status_code == 200
    assert message in response.text
    profile = stored_profile(doctor)
    assert not profile.photo and profile.bio == ""


@pytest.mark.parametrize("fee", ["-1", "abc", "10000000", "1.234", "NaN", "Infinity", "1e400"])
def test_a_bad_fee_is_refused_not_a_server_error(client, doctor, fee):
    response = client.post(PROFILE_URL, profile_data(consultation_fee=fee))

    assert response.status_code == 200
    assert stored_profile(doctor).consultation_fee is None


def test_an_unknown_language_code_is_refused(client, doctor):
    response = client.post(PROFILE_URL, profile_data(languages=["es", "klingon"]))

    assert response.status_code == 200
    assert stored_profile(doctor).languages == []


def test_a_new_photo_replaces_the_old_file_and_removing_it_deletes_it(
    client, doctor, media_root, django_capture_on_commit_callbacks
):
    client.post(PROFILE_URL, profile_data(photo=image_file()))
    first = stored_profile(doctor).photo.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE_URL, profile_data(photo=image_file("PNG")))
    second = stored_profile(doctor).photo.name

    assert first != second
    assert not (media_root / first).exists() and (media_root / second).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE_URL, profile_data(remove_photo="on"))
    assert not stored_profile(doctor).photo
    assert not (media_root / second).exists()


def test_removing_is_offered_only_when_there_is_a_photo(client, doctor):
    assert "remove_photo" not in client.get(PROFILE_URL).context["form"].fields

    client.post(PROFILE_URL, profile_data(photo=image_file()))

    assert "remove_photo" in client.get(PROFILE_URL).context["form"].fields


def test_saving_without_a_new_photo_keeps_the_current_one(client, doctor):
    client.post(PROFILE_URL, profile_data(photo=image_file()))
    photo = stored_profile(doctor).photo.name

    client.post(PROFILE_URL, profile_data(bio="Nueva biografía"))

    assert stored_profile(doctor).photo.name == photo


def test_the_page_shows_what_is_stored(client, doctor):
    DoctorProfile.objects.filter(user=doctor).update(bio="Hola", consultation_fee=Decimal("700"), languages=["yua"])

    response = client.get(PROFILE_URL)

    assert response.status_code == 200
    assert response.context["form"].initial == {
        "bio": "Hola",
        "consultation_fee": Decimal("700.00"),
        "languages": ["yua"],
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("factory", [PatientFactory, ReceptionFactory, AdminFactory])
def test_only_doctors_have_a_public_profile_page(client, factory):
    client.force_login(factory())

    assert client.get(PROFILE_URL).status_code == 403
    assert client.post(PROFILE_URL, profile_data()).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- the photo as patients see it --------------------------------------------------------------


def test_the_photo_is_served_with_cache_headers_and_linked_from_the_directory_and_doctor_page(client, doctor):
    client.post(PROFILE_URL, profile_data(photo=image_file()))
    profile = stored_profile(doctor)
    photo_url = f"{reverse('scheduling:doctor_photo', args=[doctor.pk])}?v={profile.photo_version}"
    client.logout()

    response = client.get(photo_url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "max-age=86400" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert photo_url in client.get(reverse("scheduling:directory")).text
    page = client.get(reverse("scheduling:doctor", args=[doctor.pk])).text
    assert photo_url in page
    assert "$950.50 MXN" in page and "Spanish, English" in page and "Cardióloga en Mérida." in page


def test_there_is_no_photo_for_a_doctor_without_one_an_inactive_doctor_or_a_patient(client):
    no_photo = DoctorFactory()
    inactive = DoctorFactory(is_active=False)
    DoctorProfile.objects.filter(user=inactive).update(photo="doctors/1/gone.jpg")

    for user in (no_photo, inactive, PatientFactory()):
        assert client.get(reverse("scheduling:doctor_photo", args=[user.pk])).status_code == 404


def test_a_photo_missing_from_storage_is_a_404_not_a_500(client):
    doctor = DoctorFactory()
    DoctorProfile.objects.filter(user=doctor).update(photo="doctors/1/vanished.jpg")

    assert client.get(reverse("scheduling:doctor_photo", args=[doctor.pk])).status_code == 404


def test_the_profile_page_costs_two_queries(client, doctor, django_assert_num_queries):
    # The signed-in user (sessions live in the cache) and their profile.
    with django_assert_num_queries(2):
        client.get(PROFILE_URL)


def test_the_photo_costs_one_query(client, doctor, django_assert_num_queries):
    client.post(PROFILE_URL, profile_data(photo=image_file()))
    client.logout()

    with django_assert_num_queries(1):
        client.get(reverse("scheduling:doctor_photo", args=[doctor.pk]))
