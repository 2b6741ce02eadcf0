from django.core.exceptions import BadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views import defaults


def bad_request(request, exception):
    """400 page: a BadRequest raised by our views says what was wrong, in the page layout.

    Other 400s (SuspiciousOperation, a disallowed host) keep Django's bare page: the
    request may not be safe to render a full layout with.
    """
    if type(exception) is BadRequest:
        return render(request, "400.html", {"messages_400": exception.args}, status=400)
    return defaults.bad_request(request, exception)


def print_context(request, *, printing: bool) -> dict:
    """What a page needs to render as its A4 print view (``templates/print_base.html``):
    the layout, the date, and the way back to the page itself."""
    if not printing:
        return {"base_template": "base.html", "printing": False}
    back = request.path.removesuffix("print/")
    query = request.GET.urlencode()
    return {"base_template": "print_base.html", "printing": True,
            "printed_at": timezone.localtime(),
            "back_url": f"{back}?{query}" if query else back}
