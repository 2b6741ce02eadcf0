"""A page's A4 print view: the same view renders ``templates/print_base.html``."""

from django.utils import timezone


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
