"""Helpers for testing commerce and projects built on it (needs ``factory-boy``)."""
