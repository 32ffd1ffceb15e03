from django.core.management.base import BaseCommand, CommandError

from records import repository
from records.chain_backfill import link_unlinked_entries


class Command(BaseCommand):
    help = (
        "Put the final encounters and addenda written before the record chain existed into their patients' "
        "chains, oldest first. Safe to run at any time and repeatedly; run it once after upgrading."
    )

    def handle(self, *args, **options):
        try:
            patient_ids = repository.patients_with_final_encounters()
        except repository.RecordsUnavailable as exc:
            raise CommandError(f"MongoDB is not reachable: {exc}") from exc
        linked, patients = 0, 0
        for patient_id in patient_ids:
            try:
                entries = link_unlinked_entries(patient_id)
            except repository.RecordsUnavailable as exc:
                raise CommandError(f"MongoDB stopped answering; run the command again: {exc}") from exc
            linked += len(entries)
            patients += bool(entries)
            for entry, link in entries:
                self.stdout.write(f"patient {patient_id}: {entry.kind} {entry.id} is now entry {link.sequence}")
        try:
            tips = repository.set_missing_chain_tips()
        except repository.RecordsUnavailable as exc:
            raise CommandError(f"MongoDB stopped answering; run the command again: {exc}") from exc
        self.stdout.write(f"build_record_chains: {linked} entries linked for {patients} patient(s)")
        self.stdout.write(f"build_record_chains: {tips} encounter(s) given their chain tip")
