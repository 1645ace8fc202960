"""``manage.py seed_demo [--products N] [--addrport ADDR]``: fill the demo shop, idempotently."""

import os
import time

from django.core.management.base import BaseCommand, CommandError

from demo import seed

#: Where the printed links point unless ``--addrport`` or ``DEMO_ADDRPORT`` says otherwise.
DEFAULT_ADDRPORT = "127.0.0.1:8000"
# runserver's shorthands for "every interface": a browser reaches them on loopback.
ANY_ADDRESS = {"": "127.0.0.1", "0": "127.0.0.1", "0.0.0.0": "127.0.0.1", "[::]": "[::1]"}


def site_url(addrport: str) -> str:
    """The URL a browser on this machine opens for ``runserver ADDRPORT``.

    ``"8080"`` -> ``http://127.0.0.1:8080``, ``"0.0.0.0:8000"`` -> ``http://127.0.0.1:8000``,
    ``"[::1]:9000"`` -> ``http://[::1]:9000``, ``"shop.test:80"`` -> ``http://shop.test:80``.
    """
    host, _, port = addrport.strip().rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(
            f"--addrport must be [address:]port, as for runserver; got {addrport!r}."
        )
    return f"http://{ANY_ADDRESS.get(host, host)}:{port}"


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
        parser.add_argument(
            "--addrport",
            default=os.environ.get("DEMO_ADDRPORT") or DEFAULT_ADDRPORT,
            metavar="ADDR",
            help="The address runserver will serve on, for the printed links, e.g. "
            f"0.0.0.0:8080 (default: $DEMO_ADDRPORT, else {DEFAULT_ADDRPORT}).",
        )

    def handle(self, *args, products: int, addrport: str, **options):
        if products < 0:
            raise CommandError("--products must be zero or more.")
        # Checked before seeding, so a typo costs nothing.
        base = site_url(addrport)
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
            f"  voucher code:    {seed.VOUCHER_CODE} (10% off an order)\n"
            f"\nWith `manage.py runserver {addrport}` running:\n"
            f"  API docs:  {base}/api/docs/\n"
            f"  products:  {base}/api/v1/catalog/products/\n"
            f"  admin:     {base}/admin/\n"
            f"  token:     POST {base}/api/v1/auth/token/ "
            '{"email": "...", "password": "..."}'
        )
