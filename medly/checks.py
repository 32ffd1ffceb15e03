"""Medly's own system checks (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCAL_ONLY_KEY = "medly.W001"


@register(Tags.security, deploy=True)
def secret_key_is_not_the_compose_one(app_configs, **kwargs):
    if settings.LOCAL_ONLY_KEY_MARKER in settings.SECRET_KEY:
        return [
            Warning(
                "SECRET_KEY is docker-compose.yml's local try-out key.",
                hint="Set SECRET_KEY (in the shell or an .env file beside docker-compose.yml) to a random value "
                "of at least 50 characters before any real deployment.",
                id=LOCAL_ONLY_KEY,
            )
        ]
    return []
