"""Check the invariants the installed apps register; exit non-zero when one is broken."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from commerce.core.invariants import checked_apps, iter_violations


class Command(BaseCommand):
    help = (
        "Check what must always hold across the installed commerce apps: stock that adds up "
        "to what pending orders reserve, orders whose lines and totals add up, paid orders "
        "covered by captured payments, refunds covered by captures, no webhook event applied "
        "twice. Prints each violation (code, object, message) and exits non-zero when there "
        "is one. Run it nightly."
    )

    def handle(self, *args, **options):
        found: Counter[str] = Counter()
        # Streamed: each violation is printed as soon as its query yields it.
        for violation in iter_violations():
            found[violation.code] += 1
            self.stdout.write(f"{violation.code}\t{violation.object}\t{violation.message}")
        checked = ", ".join(app.removeprefix("commerce.") for app in checked_apps())
        total = sum(found.values())
        if not total:
            self.stdout.write(self.style.SUCCESS(f"Checked {checked}: no violations."))
            return
        summary = ", ".join(f"{count} {code}" for code, count in sorted(found.items()))
        self.stdout.write(f"Checked {checked}: {total} violation(s): {summary}.")
        raise CommandError(f"{total} invariant violation(s) found.")
