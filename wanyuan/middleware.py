import logging
import sqlite3

from django.conf import settings
from django.contrib.sessions import middleware as sessions_middleware
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db.utils import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)


class DefaultLanguageMiddleware:
    """Activate the user's chosen language, else the site default (zh-hans).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an
    English-language browser would show English to a user who never asked for it.
    Here only an explicit choice (the language cookie set by ``set_language``) counts.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not language or not translation.check_for_language(language):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


# --- A busy database ----------------------------------------------------------------------

# SQLite allows one writer at a time. A writer that waited the connection's timeout for the
# lock fails with one of these (the second in shared-cache mode); it is worth trying again.
BUSY_MESSAGES = ("database is locked", "database table is locked")
RETRY_AFTER_SECONDS = 10


def database_is_busy(exc: BaseException | None) -> bool:
    """Whether exc is, or was raised while handling, SQLite's "database is locked"."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if (isinstance(exc, (OperationalError, sqlite3.OperationalError))
                and any(m in str(exc) for m in BUSY_MESSAGES)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def busy_response(request):
    """503 "busy, try again" with Retry-After.

    Rendered without the request's context processors, the user or the session, so that
    it needs no database: the one it answers for is the one that is busy.
    """
    content = render_to_string("503.html", {"COUNTY_NAME": settings.COUNTY_NAME,
                                            "DEMO_MODE": settings.DEMO_MODE})
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class BusyDatabaseMiddleware:
    """Answer 503 "busy, try again" when the database is locked, not 400 or 500.

    Place it after AuthenticationMiddleware and before LoginRequiredMiddleware: the
    session and its user are read here, before any other view middleware needs them, so
    that a database nobody may read (another connection's EXCLUSIVE lock) is answered
    here too; process_exception answers for the view and its template.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            request.user.is_authenticated  # noqa: B018 (loads the session and the user)
        except OperationalError as exc:
            if database_is_busy(exc):
                logger.warning("database busy reading the session: %s", request.path)
                return busy_response(request)
            raise
        return None

    def process_exception(self, request, exception):
        if database_is_busy(exception):
            logger.warning("database busy: %s %s", request.method, request.path)
            return busy_response(request)
        return None


class SessionMiddleware(sessions_middleware.SessionMiddleware):
    """Django's, except that a busy database while reading or saving the session answers
    503 "try again" instead of 400 "session deleted" or 500."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except (SessionInterrupted, OperationalError) as exc:
            if not database_is_busy(exc):
                raise
            logger.warning("database busy saving the session: %s", request.path)
            response = busy_response(request)
            patch_vary_headers(response, ("Cookie",))
            return response
