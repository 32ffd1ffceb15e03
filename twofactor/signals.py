from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from twofactor import policy


@receiver(user_logged_in)
def hold_for_the_second_factor(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session") and policy.must_verify(user):
        request.session[policy.PENDING_SESSION_KEY] = True
