from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils import timezone

from records import repository
from records.coordinator import roll_forward, unfinished_operations
from records.models import UNFINISHED_STATES, Operation, OperationState


class Command(BaseCommand):
    help = "Finish or undo every cross-store operation that was interrupted. Safe to run at any time, repeatedly."

    def handle(self, *args, **options):
        try:
            repository.ping()
        except repository.RecordsUnavailable as exc:
            # Every step needs MongoDB: trying each operation would only wait out one timeout after another.
            waiting = unfinished_operations().count()
            self.stdout.write(f"reconcile: the records store is unreachable, {waiting} still waiting: {exc}")
            return
        finished = waiting = aborted = held = failed = 0
        for operation in unfinished_operations():
            label = f"operation {operation.pk} ({operation.kind})"
            try:
                state = roll_forward(operation.pk)
                after = Operation.objects.get(pk=operation.pk)
            except DatabaseError as exc:
                # MySQL itself is in trouble for this one; the claim runs out and the next run tries again.
                failed += 1
                self.stdout.write(f"{label}: could not be handled now: {exc}")
                continue
            if state is None:
                held += 1
                self.stdout.write(f"{label}: being handled elsewhere, skipped")
            elif state == OperationState.DONE:
                finished += 1
                self.stdout.write(f"{label}: finished")
            elif state == OperationState.ABORTED:
                aborted += 1
                self.stdout.write(f"{label}: could never succeed, undone")
            elif after.attempts > operation.attempts:
                failed += 1
                flag = "; needs attention" if after.needs_attention else ""
                self.stdout.write(
                    f"{label}: failed (attempt {after.attempts}), next try after "
                    f"{timezone.localtime(after.next_attempt_at):%Y-%m-%d %H:%M:%S}{flag}: {after.last_error}"
                )
            else:
                waiting += 1
                self.stdout.write(f"{label}: still waiting ({state}): {after.last_error}")
        unfinished = Operation.objects.filter(state__in=UNFINISHED_STATES)
        not_due = unfinished.filter(next_attempt_at__gt=timezone.now()).count()
        attention = unfinished.filter(needs_attention=True).count()
        self.stdout.write(
            f"reconcile: {finished} finished, {aborted} undone, {waiting} still waiting, {held} held by others, "
            f"{failed} failed, {not_due} not due yet, {attention} need attention"
        )
