"""Ask the gateways about unsettled payments, settle them, and cancel those of cancelled orders."""

from django.core.management.base import BaseCommand, CommandError

from commerce.payments.services import reconcile_payments


class Command(BaseCommand):
    help = (
        "Ask each payment's gateway where payments left pending, processing or authorized stand, "
        "and apply the answers (a start that timed out, a webhook that never came, a lost capture "
        "answer); cancel (void) those whose order was cancelled. Run it from cron or a "
        "scheduler. Exits non-zero if a payment could not be reconciled."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="SECONDS",
            default=None,
            help=(
                "Only payments unchanged for at least this many seconds "
                "(default: COMMERCE['PAYMENT_RECONCILE_AFTER'])."
            ),
        )

    def handle(self, *args, older_than=None, **options):
        if older_than is not None and older_than < 0:
            raise CommandError("--older-than must be zero or more seconds.")
        report = reconcile_payments(older_than=older_than)
        self.stdout.write(
            f"Checked {report.checked} payment(s): {report.settled} settled, "
            f"{report.unsettled} still unsettled, {report.cancelled} cancelled, "
            f"{len(report.errors)} error(s)."
        )
        if report.refunds_checked:
            self.stdout.write(
                f"Checked {report.refunds_checked} pending refund(s): "
                f"{report.refunds_settled} settled, {report.refunds_unsettled} still pending."
            )
        for error in report.errors:
            self.stderr.write(f"Could not reconcile {error}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} payment(s) could not be reconciled.")
