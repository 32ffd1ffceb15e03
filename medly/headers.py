"""Response headers for a site that shows health data: what browsers may use and what they may keep."""

from django.conf import settings
from django.utils.cache import patch_cache_control

# Medly needs none of these browser features; a script injected despite the CSP gets none either.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
# Passkeys (the second factor, twofactor/) are created and used on this site only, never in a frame.
SELF_ONLY_FEATURES = ("publickey-credentials-create", "publickey-credentials-get")
PERMISSIONS_POLICY = ", ".join(
    [*(f"{feature}=(self)" for feature in SELF_ONLY_FEATURES), *(f"{feature}=()" for feature in DENIED_FEATURES)]
)

# The pages that show no clinical or personal data (beyond the signed-in user's
# own name in the layout). Every other page, including any added later, is
# answered with "Cache-Control: no-store, private".
PUBLIC_ROUTES = frozenset(
    {
        "home",
        "healthz",
        "livez",
        "set_language",
        "accounts:login",
        "accounts:register",
        "accounts:privacy",
        "scheduling:directory",
        "scheduling:doctor",
        "scheduling:doctor_photo",
    }
)


class HealthDataHeadersMiddleware:
    """Permissions-Policy on every response; no-store on every page not in PUBLIC_ROUTES."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if _is_static_file(request):
            return response
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name not in PUBLIC_ROUTES:
            patch_cache_control(response, no_store=True, private=True)
        elif settings.SESSION_COOKIE_NAME in request.COOKIES:
            # The layout may show the signed-in user's name. The cookie, not request.user:
            # loading the session would make /livez depend on Redis.
            patch_cache_control(response, private=True)
        return response


def _is_static_file(request):
    return request.path.startswith("/" + settings.STATIC_URL.lstrip("/"))
