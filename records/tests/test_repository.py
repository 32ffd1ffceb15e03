import os

from records import repository


def test_one_client_serves_a_process_and_a_forked_child_gets_its_own(monkeypatch):
    first = repository._get_client()
    assert repository._get_client() is first

    parent_pid = os.getpid()
    monkeypatch.setattr(repository.os, "getpid", lambda: parent_pid + 1)  # as in a gunicorn worker after fork
    child = repository._get_client()

    assert child is not first
    repository.ping()


def test_a_changed_mongo_uri_gets_a_new_client(stoppable_mongo):
    client = repository._get_client()

    assert client.address[1] == stoppable_mongo.port
    repository.ping()
