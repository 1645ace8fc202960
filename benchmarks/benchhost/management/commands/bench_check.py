"""``manage.py bench_check``: the consistency checks, as JSON; non-zero exit on a problem."""

import json

from django.core.management.base import BaseCommand, CommandError

from benchhost import checks


class Command(BaseCommand):
    help = "Check the catalog's denormalized columns, stock movements and reservations."

    def handle(self, *args, **options):
        problems = checks.run_all()
        self.stdout.write(json.dumps(problems))
        if problems["catalog"] or problems["commerce_invariants"]:
            raise CommandError("Inconsistencies found.")
