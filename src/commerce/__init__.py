"""commerce: pluggable Django apps for a catalog, cart, orders and payments."""

__version__ = "0.1.0.dev0"
