"""Django admin as Medly's: its name in the header, the title and the index, in the user's language."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Medly administration")
admin.site.site_title = _("Medly admin")
admin.site.index_title = _("Clinic administration")
admin.site.site_url = "/"
