import pytest

from records import cie10, services


@pytest.fixture(autouse=True)
def cie10_common_codes(request):
    """The ~100 common CIE-10 codes seed_demo loads, for every records test that uses the database."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db" if not _transactional(request) else "transactional_db")
    services.load_cie10_codes(entries=cie10.common_entries(), overwrite=True)


def _transactional(request):
    marker = request.node.get_closest_marker("django_db")
    return bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
