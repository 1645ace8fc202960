"""Rows a service already holds, handed on as if ``prefetch_related`` had read them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

__all__ = ["set_prefetched"]


def set_prefetched(instance: models.Model, name: str, rows: Iterable[models.Model]) -> None:
    """Fill the prefetch cache of ``instance.<name>`` (a reverse relation) with ``rows``.

    ``instance.<name>.all()`` then returns ``rows``, in that order, without a
    query, exactly as after ``prefetch_related(name)``. For a service that has just
    written those rows and returns them to a serializer, which would otherwise
    read them back. ``rows`` must be what the database holds, in the relation's
    ordering.
    """
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset
