"""docker-compose.yml's mongo-replica-set profile, read for what it means (Docker does not run here)."""

from pathlib import Path

import pytest
import yaml

from records.repository import client_options, uri_members_and_options

ROOT = Path(__file__).resolve().parents[2]
PROFILE = "mongo-replica-set"
MEMBERS = ("mongo1", "mongo2", "mongo3")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def in_profile(compose):
    return {name for name, service in compose["services"].items() if PROFILE in service.get("profiles", [])}


def test_the_default_profile_is_unchanged(compose):
    default = {name for name, service in compose["services"].items() if not service.get("profiles")}

    assert default == {"mysql", "mongo", "redis", "web", "worker", "scheduler"}
    assert compose["services"]["web"]["environment"]["MONGO_URI"] == "${MONGO_URI:-mongodb://mongo:27017/medly}"


def test_the_profile_runs_three_mongo_7_members_of_one_replica_set_each_with_its_own_volume(compose):
    assert in_profile(compose) == {*MEMBERS, "mongo-rs-init"}
    volumes = set()
    for name in MEMBERS:
        member = compose["services"][name]
        assert member["image"] == "mongo:7"
        assert member["command"] == ["mongod", "--replSet", "rs0", "--bind_ip_all"]
        assert member["healthcheck"]["test"][:2] == ["CMD", "mongosh"]
        [volume] = member["volumes"]
        volumes.add(volume.split(":")[0])
    assert volumes == {"mongo1-data", "mongo2-data", "mongo3-data"}
    assert volumes <= set(compose["volumes"])


def test_the_init_job_initiates_the_set_with_exactly_the_three_members_once_they_are_healthy(compose):
    init = compose["services"]["mongo-rs-init"]
    script = init["command"][-1]

    assert {name: dependency["condition"] for name, dependency in init["depends_on"].items()} == dict.fromkeys(
        MEMBERS, "service_healthy"
    )
    assert init["restart"] == "no"
    assert 'rs.initiate({_id: "rs0"' in script
    assert [f'host: "{name}:27017"' in script for name in MEMBERS] == [True, True, True]
    assert "try { rs.status() }" in script  # a second run leaves an initiated set alone


def test_web_waits_for_the_set_only_when_the_profile_is_on(compose):
    dependency = compose["services"]["web"]["depends_on"]["mongo-rs-init"]

    assert dependency == {"condition": "service_completed_successfully", "required": False}


def test_the_documented_uri_names_the_set_and_its_members_and_reads_and_writes_on_a_majority(compose):
    uri = compose["x-mongo-replica-set-uri"]
    members, written = uri_members_and_options(uri)

    assert members == [(name, 27017) for name in MEMBERS]
    assert written["replicaSet"] == "rs0"
    assert written["readConcernLevel"] == "majority"
    options = client_options(uri, 12000)
    assert (options["w"], options["journal"], options["retryWrites"], options["retryReads"]) == (
        "majority",
        True,
        True,
        True,
    )
