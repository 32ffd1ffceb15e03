from django import template

from scheduling import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def appointment_actions(context, appointment):
    """What the page's user may do to ``appointment``: the same rules the services enforce."""
    user = context["request"].user
    if not user.is_authenticated:
        return frozenset()
    return permissions.allowed_actions(user, appointment)
