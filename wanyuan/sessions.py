"""Database sessions whose idle timer is written at most once per SESSION_REFRESH_SECONDS.

With SESSION_SAVE_EVERY_REQUEST every request saves the session so that it ends after
SESSION_COOKIE_AGE without a request. Written literally, every page view is a database
write: on SQLite a read then waits for, and fails on, another writer's lock. Here a session
whose data did not change is written only when the expiry stored in the database is more
than SESSION_REFRESH_SECONDS behind the one a save would write now. A session therefore
ends between SESSION_COOKIE_AGE - SESSION_REFRESH_SECONDS and SESSION_COOKIE_AGE after the
last request. A changed session is always saved.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError

from wanyuan.middleware import database_is_busy

logger = logging.getLogger(__name__)


class SessionStore(db.SessionStore):
    _stored_expiry = None  # the expire_date read from the database, if loaded

    def _get_session_from_db(self):
        stored = super()._get_session_from_db()
        self._stored_expiry = stored.expire_date if stored is not None else None
        return stored

    def _refresh_due(self) -> bool:
        self._get_session()  # loads the session (and its stored expiry) if not yet loaded
        if self._stored_expiry is None:
            return True
        granularity = timedelta(seconds=settings.SESSION_REFRESH_SECONDS)
        return self._stored_expiry < self.get_expiry_date() - granularity

    def save(self, must_create=False):
        refresh_only = not must_create and not self.modified and self.session_key is not None
        if refresh_only and not self._refresh_due():
            return
        try:
            super().save(must_create=must_create)
        except UpdateError as exc:
            # Moving the idle timer can wait for the next request; a change cannot.
            if refresh_only and database_is_busy(exc):
                logger.info("session expiry not refreshed: the database is busy")
                return
            raise
        self._stored_expiry = self.get_expiry_date()
