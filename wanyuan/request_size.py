"""Refuse a request body larger than any upload allowed before reading it.

Django refuses oversized form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams files of
any size to temporary files before a view can look at them; the upload limits of the
views (VOUCHER_MAX_BYTES, IMPORT_MAX_BYTES) are checked only after the whole body was
read. This middleware, placed before anything reads the body, answers 413 when the
declared Content-Length is beyond ``MAX_REQUEST_BYTES``. A body without Content-Length
is never read by Django (WSGI gives it no length). The reverse proxy's
``client_max_body_size`` should refuse such requests even earlier (README, Production).
"""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation


def declared_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except (TypeError, ValueError):
        return 0


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BYTES
        if declared_length(request) > limit:
            return too_large_response(request, limit)
        return self.get_response(request)


def too_large_response(request, limit: int) -> HttpResponse:
    """413 in the user's language, rendered without the session, user or database."""
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if not language or not translation.check_for_language(language):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        content = render_to_string("413.html", {
            "limit_mb": f"{limit / (1024 * 1024):.1f}".removesuffix(".0"),
            "COUNTY_NAME": settings.COUNTY_NAME,
        })
    response = HttpResponse(content, status=413)
    response.headers["Content-Language"] = language
    return response
