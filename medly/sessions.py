"""Sessions in the cache (Redis), failing loudly when the cache is down.

Django's cache session store treats any error while reading as "no
session", which would silently log everyone out during a Redis outage and
hand out fresh sessions that cannot be saved. Medly answers 503 instead.
"""

from django.contrib.sessions.backends import cache

from medly.outages import OUTAGE_EXCEPTIONS


class SessionStore(cache.SessionStore):
    def load(self):
        try:
            session_data = self._cache.get(self.cache_key)
        except OUTAGE_EXCEPTIONS:
            raise
        except Exception:
            session_data = None
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
