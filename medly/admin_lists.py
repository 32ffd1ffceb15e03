"""Admin change lists that treat a lookup with no UTC equivalent as a wrong lookup."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet


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


class ReadOnlyAdmin(CalendarSafeLists, admin.ModelAdmin):
    """Rows whose one writer is a service or the worker: admin shows them and changes nothing."""

    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
