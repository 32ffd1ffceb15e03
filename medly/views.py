import logging
import sys

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from medly.homes import home_page
from medly.outages import is_store_outage
from records import repository
from records.operations import operations_health

logger = logging.getLogger(__name__)


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links; the icon itself is a static file."""
    return redirect(static("img/favicon.ico"), permanent=True)


def home(request):
    template_name, context = home_page(request)
    response = render(request, template_name, context)
    if request.user.is_authenticated:
        # A signed-in home shows that person's day (reception's: every patient's): never stored.
        patch_cache_control(response, no_store=True, private=True)
    return response


def _check_mysql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis():
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was written")


def _check_mongo():
    repository.ping()
    # Without its unique indexes MongoDB would accept a consultation twice: not ready.
    missing = repository.missing_indexes()
    if missing:
        raise RuntimeError(f"missing indexes {', '.join(missing)}; run manage.py ensure_indexes")


# Readiness: each store is really asked. Add a check here to report it in /healthz.
HEALTH_CHECKS = {"mysql": _check_mysql, "mongo": _check_mongo, "redis": _check_redis}


@never_cache
def healthz(request):
    report = {}
    for name, check in HEALTH_CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means "down"; the reason goes to the log only
            logger.warning("healthz: %s is down: %s", name, exc)
            report[name] = "down"
        else:
            report[name] = "ok"
    status = 200 if all(value == "ok" for value in report.values()) else 503
    # Reported, but a stuck operation must not take this container out of rotation.
    report["operations"] = operations_health()
    return JsonResponse(report, status=status)


@never_cache
def livez(request):
    """Liveness: the process serves requests. It touches no store, so an outage restarts nothing."""
    return HttpResponse("ok", content_type="text/plain")


def _render_plain(template_name, status):
    # No RequestContext: the session store may be the very thing that is down.
    return HttpResponse(loader.get_template(template_name).render({"plain_error_page": True}), status=status)


def service_unavailable(request, exception=None):
    return _render_plain("errors/503.html", 503)


@requires_csrf_token
def server_error(request):
    if is_store_outage(sys.exc_info()[1]):
        return service_unavailable(request)
    try:
        return _render_plain("errors/500.html", 500)
    except Exception:
        return HttpResponseServerError("<h1>Server error / Error del servidor</h1>", content_type="text/html")


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)
