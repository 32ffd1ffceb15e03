from django.core.management.base import BaseCommand, CommandError

from records import repository


class Command(BaseCommand):
    help = "Create the MongoDB indexes Medly relies on (idempotent)."

    def handle(self, *args, **options):
        try:
            repository.ensure_indexes()
        except repository.RecordsUnavailable as exc:
            raise CommandError(f"MongoDB is not reachable: {exc}") from exc
        except repository.InvalidRecord as exc:
            raise CommandError(f"the MongoDB indexes cannot be created: {exc}") from exc
        self.stdout.write("MongoDB indexes are in place.")
