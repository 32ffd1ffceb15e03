from django.utils.functional import SimpleLazyObject

from medly.clinic import clinic_details


def clinic(request):
    """``site_clinic`` for the layout's footer; read (from the cache) only by pages that show it."""
    return {"site_clinic": SimpleLazyObject(clinic_details)}
