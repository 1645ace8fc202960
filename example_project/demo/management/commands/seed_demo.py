"""``manage.py seed_demo [--products N]``: fill the demo shop, idempotently."""

import time

from django.core.management.base import BaseCommand, CommandError

from demo import seed


class Command(BaseCommand):
    help = (
        "Create the demo shop's users, verified vendors, categories, brands and N products "
        "with variants, prices and stock. Safe to run again: nothing is duplicated, and a "
        "larger N adds only the missing products."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--products",
            type=int,
            default=seed.DEFAULT_PRODUCTS,
            metavar="N",
            help=f"How many demo products should exist (default {seed.DEFAULT_PRODUCTS}).",
        )

    def handle(self, *args, products: int, **options):
        if products < 0:
            raise CommandError("--products must be zero or more.")
        started = time.monotonic()
        interactive = self.stdout.isatty()
        shown = []

        def progress(done: int, total: int) -> None:
            line = f"Creating products: {done}/{total} ({done * 100 // total}%)"
            if interactive:
                self.stdout.write(f"\r{line}", ending="")
                self.stdout.flush()
                shown.append(done)
            elif done == total or done % (seed.CHUNK_SIZE * 10) == 0:
                self.stdout.write(line)

        result = seed.seed(products, progress=progress)
        if shown:
            self.stdout.write("")  # end the progress line
        elapsed = time.monotonic() - started

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {elapsed:.1f}s: {result.products_created} products "
                f"({result.variants_created} variants) created, "
                f"{result.products_existing} already there; "
                f"{len(result.users_created)} users created."
            )
        )
        vendor_email = f"{seed.VENDORS[0][1]}@vendors.example.com"
        self.stdout.write(
            "\nDemo credentials (password for all: "
            f"{seed.DEMO_PASSWORD}):\n"
            f"  staff (admin):   {seed.STAFF_EMAIL}\n"
            f"  customer:        {seed.CUSTOMER_EMAIL}\n"
            f"  vendor member:   {vendor_email} (and <vendor>@vendors.example.com for "
            f"{', '.join(slug for _, slug, _ in seed.VENDORS[1:])})\n"
            "\nWith `manage.py runserver` running:\n"
            "  API docs:  http://127.0.0.1:8000/api/docs/\n"
            "  products:  http://127.0.0.1:8000/api/v1/catalog/products/\n"
            "  admin:     http://127.0.0.1:8000/admin/\n"
            "  token:     POST http://127.0.0.1:8000/api/v1/auth/token/ "
            '{"email": "...", "password": "..."}'
        )
