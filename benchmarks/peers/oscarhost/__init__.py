"""A minimal django-oscar 4.2 + django-oscar-api 3.3 shop, the peer of ``benchhost``.

Only ``benchmarks/peers`` runs it, inside the oscar virtualenv it builds; commerce
never imports it.
"""
