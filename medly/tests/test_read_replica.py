"""The public pages read from a real MariaDB replica only when it holds every committed booking.

A private primary and replica (medly/tests/mariadb_pair.py) replicate with GTIDs; the test points
Medly's `default` alias at the primary and a `replica` alias at the replica, and lags the replica
by stopping its SQL thread.
"""

import copy
import logging
import random
import re
import threading

import pytest
from django.core.signals import request_started
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.tests.factories import DoctorFactory, PatientFactory
from conftest import free_port
from medly import replicas
from medly.env import database_from_url
from medly.tests.mariadb_pair import MariaDBPair
from scheduling import page_cache, services
from scheduling.models import Slot
from scheduling.schedule_changes import schedule_changed
from scheduling.tests.factories import SlotFactory

# Transactional: the tables come from the test database, and the pages commit as they would in production.
pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

DATABASE = "medly_pair"


@pytest.fixture(scope="module")
def mariadb_pair(django_db_setup, django_db_blocker):
    """The pair, with the tables of the test database, for the whole module."""
    with MariaDBPair(primary_port=free_port(), replica_port=free_port()) as pair:
        with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
            pair.copy_schema(cursor, DATABASE)
        pair.wait_until_replica_caught_up()
        yield pair


@pytest.fixture
def on_the_pair(mariadb_pair, django_db_blocker):
    """`default` is the pair's primary and `replica` its replica while the test runs."""
    primary = connections["default"]
    saved = copy.deepcopy(primary.settings_dict)
    with django_db_blocker.unblock():
        # pytest-django empties the test database after each test, not the pair's: without this, the
        # doctors and slots of earlier tests would still be there (and in the directory's results).
        mariadb_pair.empty_tables(DATABASE)
        mariadb_pair.wait_until_replica_caught_up()
        primary.close()
        primary.settings_dict.update(database_from_url(mariadb_pair.primary.url(DATABASE), sqlite_fallback=None))
        connections.settings[replicas.REPLICA] = {
            **copy.deepcopy(primary.settings_dict),
            **database_from_url(mariadb_pair.replica.url(DATABASE), sqlite_fallback=None),
        }
        try:
            yield mariadb_pair
        finally:
            mariadb_pair.resume_applying()
            connections[replicas.REPLICA].close()
            del connections[replicas.REPLICA]
            del connections.settings[replicas.REPLICA]
            primary.close()
            primary.settings_dict.clear()
            primary.settings_dict.update(saved)


@pytest.fixture
def doctor_with_slots(on_the_pair):
    doctor = DoctorFactory(last_name="Aaronson")
    slots = SlotFactory.create_batch(3, doctor=doctor)
    # A first booking records the fence, as any schedule change does.
    book(slots[0])
    on_the_pair.wait_until_replica_caught_up()
    return doctor, slots[1], slots[2]


def book(slot):
    """Book through the service, announcing the change as every writer of slots and appointments does.

    The announcement is written out here so this test does not depend on which writers already make it
    (the page-cache work adds it to each); a second announcement of one commit changes nothing.
    """
    with transaction.atomic():
        services.book_slot(patient=PatientFactory(), slot_id=slot.pk)
        schedule_changed({slot.doctor_id})


def slot_reads(captured):
    return [query["sql"] for query in captured.captured_queries if "scheduling_slot" in query["sql"]]


def free_on_doctor_page(response):
    return [int(slot_id) for slot_id in re.findall(r'href="/slots/(\d+)/book/"', response.content.decode())]


def next_free_on_card(response, doctor):
    """``doctor``'s directory card, from their name to the card's end."""
    return response.content.decode().split(doctor.get_full_name(), 1)[1].split("</li>", 1)[0]


def card_time(slot):
    return date_format(timezone.localtime(slot.starts_at), "DATETIME_FORMAT")


def get_pages(client, doctor):
    """The doctor page's free slots, the directory card of the doctor, and the slot queries each store answered."""
    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(connections[replicas.REPLICA]) as on_replica,
    ):
        doctor_page = client.get(reverse("scheduling:doctor", args=[doctor.pk]))
        directory = client.get(reverse("scheduling:directory"), {"q": doctor.last_name})
    assert (doctor_page.status_code, directory.status_code) == (200, 200)
    return (
        free_on_doctor_page(doctor_page),
        next_free_on_card(directory, doctor),
        slot_reads(on_primary),
        slot_reads(on_replica),
    )


def test_it_reads_the_public_pages_from_a_caught_up_replica(client, doctor_with_slots):
    doctor, first_free, second_free = doctor_with_slots

    free, next_free, primary_reads, replica_reads = get_pages(client, doctor)

    assert free == [first_free.pk, second_free.pk]
    assert card_time(first_free) in next_free
    assert replica_reads and not primary_reads


def test_it_never_shows_a_fresh_booking_as_free_while_the_replica_lags(client, on_the_pair, doctor_with_slots):
    doctor, first_free, second_free = doctor_with_slots
    on_the_pair.stop_applying()

    book(first_free)

    rows_on_replica = on_the_pair.replica.query(
        f"SELECT status FROM scheduling_slot WHERE id = {first_free.pk}",  # noqa: S608 - an integer id
        database=DATABASE,
    )
    assert rows_on_replica == (("open",),), "the replica should still be behind"
    free, next_free, primary_reads, replica_reads = get_pages(client, doctor)
    assert free == [second_free.pk]
    assert card_time(second_free) in next_free and card_time(first_free) not in next_free
    assert primary_reads and not replica_reads

    on_the_pair.resume_applying()
    on_the_pair.wait_until_replica_caught_up()
    # Pages built while the replica lagged stay cached until the next change: rebuild them now.
    page_cache.replace_versions({doctor.pk})
    free, next_free, primary_reads, replica_reads = get_pages(client, doctor)
    assert free == [second_free.pk]
    assert card_time(second_free) in next_free and card_time(first_free) not in next_free
    assert replica_reads and not primary_reads


def test_the_fence_only_moves_forward(on_the_pair, doctor_with_slots):
    newest = replicas.read_fence()
    domain, server, sequence = newest.split("-")

    replicas.raise_fence(f"{domain}-{server}-{int(sequence) - 1}")  # a writer that saw an older position
    replicas.raise_fence(f"{int(domain) + 1}-{server}-1")  # another domain joins, the first stays

    assert replicas.read_fence() == f"{newest},{int(domain) + 1}-{server}-1"


def test_the_visitor_is_read_from_the_primary_and_the_page_from_the_replica(client, doctor_with_slots):
    doctor, first_free, second_free = doctor_with_slots
    patient = PatientFactory()
    client.force_login(patient)

    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(connections[replicas.REPLICA]) as on_replica,
    ):
        response = client.get(reverse("scheduling:doctor", args=[doctor.pk]))

    assert response.status_code == 200
    assert any("accounts_user" in query["sql"] for query in on_primary.captured_queries)
    assert slot_reads(on_replica) and not slot_reads(on_primary)


def test_it_reads_the_primary_when_redis_is_down(client, settings, doctor_with_slots, caplog):
    doctor, first_free, second_free = doctor_with_slots
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"},
    }

    with caplog.at_level(logging.WARNING, logger="medly.replicas"):
        free, next_free, primary_reads, replica_reads = get_pages(client, doctor)

    assert free == [first_free.pk, second_free.pk]
    assert primary_reads and not replica_reads
    assert "Redis down" in caplog.text


def test_it_reads_the_primary_when_the_replica_is_down(client, doctor_with_slots, caplog):
    doctor, first_free, second_free = doctor_with_slots
    replica = connections[replicas.REPLICA]
    replica.close()
    replica.settings_dict["PORT"] = str(free_port())

    with caplog.at_level(logging.WARNING, logger="medly.replicas"):
        with CaptureQueriesContext(connections["default"]) as on_primary:
            response = client.get(reverse("scheduling:doctor", args=[doctor.pk]))
            client.get(reverse("scheduling:doctor", args=[doctor.pk]))

    assert response.status_code == 200
    assert free_on_doctor_page(response) == [first_free.pk, second_free.pk]
    assert slot_reads(on_primary)
    # The second page did not wait for the dead replica again.
    assert caplog.text.count("replica unreachable") == 1


def test_reads_inside_a_transaction_or_after_a_write_stay_on_the_primary(on_the_pair, doctor_with_slots):
    doctor, first_free, _ = doctor_with_slots
    request_started.send(sender=None)

    with replicas.reading_replica() as chosen:
        assert chosen
        assert Slot.objects.filter(pk=first_free.pk).db == replicas.REPLICA
        with transaction.atomic():
            assert Slot.objects.filter(pk=first_free.pk).db == replicas.PRIMARY
        Slot.objects.filter(pk=first_free.pk).update(status=first_free.status)
        assert Slot.objects.filter(pk=first_free.pk).db == replicas.PRIMARY
    request_started.send(sender=None)

    assert Slot.objects.filter(pk=first_free.pk).db == replicas.PRIMARY


def test_concurrent_writers_leave_the_fence_at_the_newest_position():
    sequences = list(range(1, 401))
    random.Random(12).shuffle(sequences)
    barrier = threading.Barrier(8)

    def writer(share):
        barrier.wait()
        for sequence in share:
            replicas.raise_fence(f"0-1-{sequence}")

    threads = [threading.Thread(target=writer, args=(sequences[index::8],)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert replicas.read_fence() == "0-1-400"


def test_a_booking_committed_while_a_page_is_being_built_is_never_cached_as_free(
    client, on_the_pair, doctor_with_slots, monkeypatch
):
    """The page reads the cache's versions before it asks whether the replica is fresh.

    Here the booking commits (fence raised, versions replaced) just before the page reads the
    versions: asked in the other order, the page would trust the replica against the older fence,
    read the lagging replica and store the booked slot as free under the new versions.
    """
    doctor, first_free, second_free = doctor_with_slots
    on_the_pair.stop_applying()
    read_versions = page_cache.current_versions
    booked = []

    def versions_after_a_booking(scopes):
        if not booked:
            booked.append(first_free.pk)
            book(first_free)
        return read_versions(scopes)

    monkeypatch.setattr(page_cache, "current_versions", versions_after_a_booking)
    response = client.get(reverse("scheduling:doctor", args=[doctor.pk]))
    monkeypatch.setattr(page_cache, "current_versions", read_versions)

    assert booked
    assert free_on_doctor_page(response) == [second_free.pk]
    assert free_on_doctor_page(client.get(reverse("scheduling:doctor", args=[doctor.pk]))) == [second_free.pk]
