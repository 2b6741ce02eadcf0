"""The list pages' one shape: a filter (django-filter's FilterView, strict: an invalid
filter shows no rows and says so), a table (django-tables2's SingleTableMixin) paginated
by the table, and the number of rows. Every list page of the apps is a subclass naming
its table, filter, queryset and template."""

from django_filters.views import FilterView
from django_tables2 import SingleTableMixin


class ListPage(SingleTableMixin, FilterView):
    """A filtered, sortable, paginated table; an invalid filter shows no rows and says so."""

    # Pagination belongs to the table; the list view itself must not paginate too.
    per_page = 50
    title = ""

    def get_table_pagination(self, table):
        return {"per_page": self.per_page}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", self.title)
        table = context["table"]
        context["row_count"] = (table.paginator.count if getattr(table, "page", None)
                                else len(table.rows))
        return context
