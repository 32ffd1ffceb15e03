"""django-axes' admin pages without their date drill-down.

date_hierarchy truncates dates inside the database, which on MySQL needs the
server's time zone tables (CONVERT_TZ); our MariaDB servers do not load them,
so the changelist answered 500 (see scheduling/admin.py for the same choice).
"""

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from medly.admin_lists import CalendarSafeLists

for model, model_admin in (
    (AccessAttempt, axes_admin.AccessAttemptAdmin),
    (AccessLog, axes_admin.AccessLogAdmin),
    (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(
            model, type(model_admin.__name__, (CalendarSafeLists, model_admin), {"date_hierarchy": None})
        )
