from django.core.management.base import BaseCommand

from records.coordinator import roll_forward, unfinished_operations
from records.models import OperationState


class Command(BaseCommand):
    help = "Finish or undo every cross-store operation that was interrupted. Safe to run at any time, repeatedly."

    def handle(self, *args, **options):
        finished = waiting = aborted = held = 0
        for operation in unfinished_operations():
            state = roll_forward(operation.pk)
            if state is None:
                held += 1
                self.stdout.write(f"operation {operation.pk} ({operation.kind}): being handled elsewhere, skipped")
            elif state == OperationState.DONE:
                finished += 1
                self.stdout.write(f"operation {operation.pk} ({operation.kind}): finished")
            elif state == OperationState.ABORTED:
                aborted += 1
                self.stdout.write(f"operation {operation.pk} ({operation.kind}): could never succeed, undone")
            else:
                waiting += 1
                self.stdout.write(f"operation {operation.pk} ({operation.kind}): still waiting ({state})")
        self.stdout.write(
            f"reconcile: {finished} finished, {aborted} undone, {waiting} still waiting, {held} held by others"
        )
