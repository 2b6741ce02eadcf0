"""Path converters: a part of a URL matches only what the model can hold.

A township's official code is digits (``townships.models.TOWNSHIP_CODE_PATTERN``): a URL
with anything else in its place (a NUL byte, a slash, letters) resolves to no page, a
404, instead of reaching a query that PostgreSQL refuses with an error; and ``reverse()``
cannot build such a URL (NoReverseMatch).
"""

from django.urls import register_converter

from townships.models import TOWNSHIP_CODE_PATTERN


class TownshipCodeConverter:
    regex = TOWNSHIP_CODE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)  # reverse() checks it against ``regex``


#: ``<township_code:code>`` in a route; registered once, when a URLconf first imports this.
register_converter(TownshipCodeConverter, "township_code")


class OrgUnitCodeConverter(TownshipCodeConverter):
    """An org unit of an upper level (funds.exchange): a province's, city's or county's six
    digits (GB/T 2260)."""

    regex = "[0-9]{6}"


#: ``<org_unit_code:unit>`` in the upper level's routes.
register_converter(OrgUnitCodeConverter, "org_unit_code")
