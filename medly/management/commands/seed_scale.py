import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from medly import scale_data


def positive(value):
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate a clinic network's data in bulk, the same for the same --seed and --today: by default "
        "100,000 patients, 500 doctors, 1,000,000 slots and 200,000 appointments. Adds to a database that "
        "holds only demo and generated people; never deletes anything."
    )

    def add_arguments(self, parser):
        defaults = scale_data.Sizes()
        parser.add_argument("--patients", type=positive, default=defaults.patients)
        parser.add_argument("--doctors", type=positive, default=defaults.doctors)
        parser.add_argument("--slots", type=positive, default=defaults.slots)
        parser.add_argument("--appointments", type=positive, default=defaults.appointments)
        parser.add_argument(
            "--completed-share",
            type=float,
            default=defaults.completed_share,
            help="share of past appointments that are completed (each with a final encounter); default 0.7",
        )
        parser.add_argument("--seed", type=int, default=12)
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day the data is generated around (YYYY-MM-DD); default: today in the clinic's time zone",
        )
        parser.add_argument(
            "--without-documents",
            action="store_true",
            help=(
                "write nothing to MongoDB (record documents, encounters): for timing the SQL side against the "
                "embedded server, which cannot take 100,000s of inserts; check_consistency then reports them missing"
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="add generated data even though the database holds people registered by a clinic",
        )

    def handle(self, *args, **options):
        sizes = scale_data.Sizes(
            patients=options["patients"],
            doctors=options["doctors"],
            slots=options["slots"],
            appointments=options["appointments"],
            completed_share=options["completed_share"],
        )
        problems = sizes.problems()
        if not 0 <= sizes.completed_share <= 1:
            problems.append("--completed-share between 0 and 1")
        if problems:
            raise CommandError(f"Sizes need {'; '.join(problems)}.")
        if scale_data.already_generated():
            raise CommandError("This database already holds generated data: generate into a fresh database.")
        foreign = scale_data.foreign_people()
        if foreign and not options["force"]:
            raise CommandError(
                f"This database holds {foreign} people that were neither generated nor made by seed_demo: "
                "refusing to mix generated data into a real clinic's data (--force to do it anyway)."
            )
        generator = scale_data.Generator(
            sizes=sizes,
            seed=options["seed"],
            today=options["today"] or timezone.localdate(),
            documents=not options["without_documents"],
            report=self.stdout.write,
        )
        seconds = generator.run()
        self.stdout.write(
            f"Generated {sizes.patients:,} patients, {sizes.doctors:,} doctors, {sizes.slots:,} slots and "
            f"{sizes.appointments:,} appointments in {seconds:.1f} s"
        )
