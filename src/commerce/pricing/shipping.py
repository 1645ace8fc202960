"""Shipping: which methods serve an address, and what each costs for a cart."""
