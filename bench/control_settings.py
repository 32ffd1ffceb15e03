"""Control run only: Medly's settings with the booking race guards switched off.

``SCHEDULING_RACE_GUARDS = False`` is the test-only switch the race tests use
for their control twins: booking checks the slot, then marks it, with no
conditional update and no live-appointment constraint. A benchmark run
against a server started with these settings (``UNGUARDED=1 bench/serve.sh``)
should find double bookings and exit 1: it shows that the benchmark can see
one. Never serve real traffic with it.
"""

from medly.settings import *  # noqa: F403

SCHEDULING_RACE_GUARDS = False
