from django.core.management.base import BaseCommand

from records.consistency import find_disagreements


class Command(BaseCommand):
    help = "Read-only: list every disagreement between MySQL and MongoDB; exit 1 if there is any."

    def handle(self, *args, **options):
        problems = find_disagreements()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            self.stderr.write(f"check_consistency: {len(problems)} disagreement(s)")
            raise SystemExit(1)
        self.stdout.write("check_consistency: MySQL and MongoDB agree")
