from django.core.exceptions import BadRequest
from django.shortcuts import render
from django.views import defaults


def bad_request(request, exception):
    """400 page: a BadRequest raised by our views says what was wrong, in the page layout.

    Other 400s (SuspiciousOperation, a disallowed host) keep Django's bare page: the
    request may not be safe to render a full layout with.
    """
    if type(exception) is BadRequest:
        return render(request, "400.html", {"messages_400": exception.args}, status=400)
    return defaults.bad_request(request, exception)
