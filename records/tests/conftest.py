import pytest

from records import cie10, services


@pytest.fixture(autouse=True)
def cie10_common_codes(request):
    """The ~100 common CIE-10 codes seed_demo loads, for every records test that uses the database."""
    marker = request.node.get_closest_marker("django_db")
    if "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
    elif marker is None:
        return
    elif marker.kwargs.get("transaction") or (marker.args and marker.args[0]):
        request.getfixturevalue("transactional_db")
    else:
        request.getfixturevalue("db")
    services.load_cie10_codes(entries=cie10.common_entries(), overwrite=True)
