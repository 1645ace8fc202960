"""The staff REST API of zones, shipping methods and tax rates."""
