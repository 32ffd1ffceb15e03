"""Admin change lists that treat a lookup with no UTC equivalent as a wrong lookup, and lists of big tables."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from medly.queries import estimated_rows


class CalendarSafeChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        try:
            # Compiling converts each date-time bound to UTC for the database: near the calendar's ends
            # (?starts_at__gte=9999-12-31 23:59:59) that overflows, only when the page runs the query.
            str(queryset.query)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error
        except EmptyResultSet:
            pass  # a search that can match nothing (no such person): an empty list, as the page shows

        return queryset


class CalendarSafeLists:
    """ModelAdmin mixin: such a lookup sends admin back to the unfiltered list (``?e=1``), not to a 500."""

    def get_changelist(self, request, **kwargs):
        return CalendarSafeChangeList


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered list of a big table from the database's estimate instead of COUNT(*).

    At a clinic network's size COUNT(*) reads a whole index on every view of the list (a million
    slots, hundreds of thousands of appointments and audit events); an estimate is enough to page
    through them. Filtered or searched lists, and tables under ESTIMATE_FROM rows, are counted exactly.
    """

    ESTIMATE_FROM = 50_000

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where and not query.combinator and not query.is_sliced:
            estimate = estimated_rows(self.object_list.model)
            if estimate is not None and estimate >= self.ESTIMATE_FROM:
                return estimate
        return super().count


class BigTableLists(CalendarSafeLists):
    """ModelAdmin mixin for tables that grow with the clinic: no second COUNT(*) of the whole table next to a
    filtered list, and an estimated count of the unfiltered one (EstimatedCountPaginator)."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator


class ReadOnlyAdmin(BigTableLists, admin.ModelAdmin):
    """Rows whose one writer is a service or the worker: admin shows them and changes nothing."""

    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RelatedFetchedAfterThePage:
    """ModelAdmin mixin for big tables: the page of rows is read alone, in the admin's ``ordering`` through its
    index, and ``fetched_after_the_page`` (foreign keys shown in the list) in one more query each.

    Joining them in the same statement (``list_select_related``) let MariaDB start from the 100,000 users
    and sort every row of the table into a temporary table for a page of 100 (bench/scale.py: seconds at a
    clinic network's size). Give these admins a total ``ordering`` (pk last) that an index serves.
    """

    fetched_after_the_page = ()
    list_select_related = ()  # not False: False with a foreign key in list_display joins every one

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(*self.fetched_after_the_page)
