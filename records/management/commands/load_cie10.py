from django.core.management.base import BaseCommand, CommandError

from records import cie10, services
from records.models import Cie10Code


class Command(BaseCommand):
    help = (
        "Load the CIE-10 catalogue: the cie package's 14,000 Spanish codes, and a DGIS catalogue file when "
        "given (its descriptions and sex and age limits win). Idempotent: safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dgis",
            metavar="FILE",
            action="append",
            default=[],
            help="a DGIS catalogue CSV (CATALOG_KEY, NOMBRE, LSEX, LINF, LSUP; see records/cie10.py); repeatable",
        )
        parser.add_argument("--no-package", action="store_true", help="load only the --dgis files")
        parser.add_argument(
            "--if-needed",
            action="store_true",
            help="skip the package when the catalogue already holds at least as many codes (make run)",
        )

    def handle(self, *args, dgis, no_package, if_needed, **options):
        if not no_package:
            entries = cie10.package_entries()
            if if_needed and Cie10Code.objects.count() >= len(entries):
                self.stdout.write(f"load_cie10: the catalogue is already loaded ({Cie10Code.objects.count()} codes)")
            else:
                total = services.load_cie10_codes(entries=entries, overwrite=False)
                self.stdout.write(f"load_cie10: {len(entries)} codes from the cie package; {total} in the catalogue")
        for path in dgis:
            try:
                entries = cie10.dgis_entries(path)
            except cie10.CatalogueFileError as exc:
                raise CommandError(str(exc)) from None
            total = services.load_cie10_codes(entries=entries, overwrite=True)
            self.stdout.write(f"load_cie10: {len(entries)} codes from {path}; {total} in the catalogue")
