import sys

from django.apps import AppConfig
from django.core.management.base import CommandError
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def create_mongo_indexes(sender, plan=None, **kwargs):
    """`migrate` also creates the MongoDB indexes, so Django's usual deployment steps make them.

    MongoDB being down does not fail the migration: MySQL's schema is done and
    correct, `manage.py ensure_indexes` (or the next migrate) creates the
    indexes later, and /healthz reports mongo down until they exist.
    """
    if plan is None:
        return  # `flush` sends post_migrate too, without a plan; only migrate creates indexes.
    from records import repository

    try:
        repository.ensure_indexes()
    except repository.RecordsUnavailable as exc:
        sys.stderr.write(
            f"WARNING: the MongoDB indexes were not created, MongoDB is not reachable: {exc}\n"
            "Run `manage.py ensure_indexes` once it is; /healthz reports mongo down until then.\n"
        )
    except repository.InvalidRecord as exc:
        # Documents that break a unique index need a person; a silent pass would hide it.
        raise CommandError(f"the MongoDB indexes cannot be created: {exc}") from exc


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Clinical records")

    def ready(self):
        post_migrate.connect(create_mongo_indexes, sender=self, dispatch_uid="records.create_mongo_indexes")
