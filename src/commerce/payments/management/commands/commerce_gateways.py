"""List the configured payment gateways and the gateway plugins installed."""

from django.core.management.base import BaseCommand

from commerce.payments.gateways.registry import gateways, installed_gateway_classes


class Command(BaseCommand):
    help = (
        "Print the payment gateways configured in COMMERCE['PAYMENT_GATEWAYS'] with their "
        "capabilities, and the gateway classes installed packages announce."
    )

    def handle(self, *args, **options):
        configured = gateways.all()
        self.stdout.write(f"Configured gateways ({len(configured)}):")
        for alias, gateway in configured.items():
            backend = f"{type(gateway).__module__}.{type(gateway).__qualname__}"
            capabilities = ", ".join(sorted(str(c) for c in gateway.capabilities)) or "none"
            currencies = ", ".join(sorted(gateway.currencies)) if gateway.currencies else "any"
            self.stdout.write(f"  {alias}: {backend}")
            self.stdout.write(f"    capabilities: {capabilities}")
            self.stdout.write(f"    currencies: {currencies}")
        plugins = installed_gateway_classes()
        self.stdout.write(f"Installed gateway plugins ({len(plugins)}):")
        for name, target in sorted(plugins.items()):
            self.stdout.write(f"  {name}: {target}")
