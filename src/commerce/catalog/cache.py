"""Cached catalog reads, invalidated by every write a reader could see.

The category tree, the brand list, the product list and the anonymous product
detail are stored, rendered, in the Django cache named by
``COMMERCE["CATALOG_CACHE"]``, for at most ``CATALOG_CACHE_TIMEOUT`` seconds.

Invalidation is by generation. One number in the cache, the *generation*, is
part of every entry's key; a write moves it, after its transaction commits, and
every entry stored before becomes unreachable at once (it expires by itself).
A reader reads the generation *before* it queries the database and stores what
it computed under that generation. So a reader whose snapshot predates a
commit can only store under the generation that commit's invalidation is about
to leave behind: it never hides the write from the next reader.

What moves the generation:

* a save or delete of a category, brand, tax class, vendor, product, variant, image or
  stock record, whoever makes it (the services, the admin, your own code);
  moves in the category tree; ``migrate`` and ``flush``;
* a stock move (reserve, release, commit) that changes what the public sees of
  stock: a variant's availability (in, low or out of stock). A sale that takes
  available stock from 40 to 39 changes no public response and keeps the cache;
* :func:`invalidate`, for writes that send no signal (``QuerySet.update()``).

While a transaction has written to the catalog and not committed, reads on its
connection skip the cache: they see their own writes, and store nothing another
process could read before the commit (or after a rollback).

Every response of these endpoints carries a strong ``ETag`` computed from its
body, whether it came from the cache or not, and ``If-None-Match`` is answered
``304 Not Modified`` without a body. ``Cache-Control: no-cache`` makes clients
and shared caches ask again each time (cheaply, with the ETag), so a write is
visible on the very next request; ``Vary`` on ``Authorization`` and ``Cookie``
keeps one user's response from being handed to another by a shared cache.

A cache that fails (a Redis server down) is logged and read around: the API
answers uncached, never with a 500, and a write still commits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable

from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_migrate, post_save
from django.http import HttpResponse, HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags, urlencode
from rest_framework.response import Response

import commerce
from commerce.conf import commerce_settings

__all__ = ["clear", "invalidate", "respond"]

logger = logging.getLogger("commerce.catalog.cache")

GENERATION_KEY = "commerce:catalog:generation"

#: Request headers a shared cache must key on, so one user's answer is never another's.
VARY = ("Accept", "Authorization", "Cookie")

#: The models whose rows appear in public catalog responses.
WATCHED_MODELS = (
    "Category",
    "Brand",
    "TaxClass",
    "Vendor",
    "Product",
    "Variant",
    "ProductImage",
    "StockRecord",
)


def get_cache():
    """The configured cache, or ``None`` when ``CATALOG_CACHE`` is ``None`` (caching off)."""
    alias = commerce_settings.CATALOG_CACHE
    return None if alias is None else caches[alias]


# --- the generation ------------------------------------------------------------------


def _new_generation() -> int:
    # Random rather than 1: a generation lost to eviction or a restart must not
    # come back as a number whose entries may still be stored.
    return secrets.randbits(62)


def _current_generation(cache) -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        candidate = _new_generation()
        if cache.add(GENERATION_KEY, candidate, timeout=None):
            return candidate
        # Another process set one first; use theirs.
        generation = cache.get(GENERATION_KEY)
    return candidate if generation is None else generation


def _bump() -> None:
    """Move the generation now. Never raises: the write it follows has committed."""
    try:
        cache = get_cache()
        if cache is None:
            return
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            # No generation stored (never read, or evicted): any fresh number will do.
            cache.set(GENERATION_KEY, _new_generation(), timeout=None)
    except Exception:
        logger.exception(
            "Could not invalidate the catalog cache; cached catalog reads may be stale "
            "for up to COMMERCE['CATALOG_CACHE_TIMEOUT'] seconds."
        )


def clear() -> None:
    """Forget every cached catalog read now (tests, or after changing data behind commerce).

    Deletes only the generation, not other keys of the cache alias.
    """
    cache = get_cache()
    if cache is not None:
        cache.delete(GENERATION_KEY)


class _PendingInvalidation:
    """The on-commit callback of a transaction's catalog writes: one per transaction."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def __call__(self) -> None:
        if not self.done:
            self.done = True
            _bump()


def _has_pending_invalidation(connection) -> bool:
    """Whether the open transaction on ``connection`` wrote to the catalog, uncommitted."""
    if not connection.in_atomic_block:
        return False
    # Django drops a rolled-back transaction's (or savepoint's) callbacks from
    # this list, so a marker here belongs to writes that may still commit.
    return any(
        isinstance(part, _PendingInvalidation) and not part.done
        for entry in connection.run_on_commit
        for part in entry
    )


def invalidate(using: str = DEFAULT_DB_ALIAS) -> None:
    """Make every cached catalog read stale once the current transaction commits.

    Outside a transaction it happens at once. Called for you on every catalog
    model save and delete and every stock move that changes availability; call
    it yourself after writes that send no signal, such as ``QuerySet.update()``.
    """
    if commerce_settings.CATALOG_CACHE is None:
        return
    connection = transaction.get_connection(using)
    if not _has_pending_invalidation(connection):
        transaction.on_commit(_PendingInvalidation(), using=using)


# --- responses ----------------------------------------------------------------------


def _cache_key(view, request, generation: int) -> str:
    # Host and scheme are in the body (pagination links, image URLs); the media
    # type decides the rendering (``application/json; indent=4``). Query
    # parameters are sorted, so their order does not split the cache.
    parts = [
        commerce.__version__,
        view.basename,
        view.action,
        request.scheme,
        request.get_host(),
        request.path,
        urlencode(sorted(request.query_params.lists()), doseq=True),
        request.accepted_media_type,
    ]
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    return f"commerce:catalog:{generation}:{digest}"


def _etag(content: bytes) -> str:
    return f'"{hashlib.blake2b(content, digest_size=16).hexdigest()}"'


def _if_none_match(request, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    # If-None-Match compares weakly (RFC 9110, 13.1.2): W/"x" matches "x".
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def _finish(request, response: HttpResponseBase, etag: str, *, shared: bool) -> HttpResponseBase:
    """Add the validators and caching headers; turn a matching revalidation into a 304."""
    response["ETag"] = etag
    if shared:
        patch_cache_control(response, public=True, no_cache=True)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, VARY)
    if not _if_none_match(request, etag):
        return response
    not_modified = HttpResponseNotModified()
    for header in ("ETag", "Cache-Control", "Vary"):
        not_modified[header] = response[header]
    return not_modified


def _render(view, request, response) -> None:
    # What DRF's finalize_response and Django's handler would do later, done
    # now because the bytes are what gets hashed and stored.
    response.accepted_renderer = request.accepted_renderer
    response.accepted_media_type = request.accepted_media_type
    response.renderer_context = view.get_renderer_context()
    response.render()


def respond(
    view, request, build: Callable[[], HttpResponseBase], *, shared: bool
) -> HttpResponseBase:
    """Answer a catalog read from the cache, or with ``build()`` (and store it).

    ``shared`` says the response is the same for every caller who gets here
    (the list, or a detail read anonymously); a per-user response is never
    cached, only given an ETag. Only JSON 200 responses are stored; the
    browsable API (HTML with the user's name and a CSRF token) is left alone.
    """
    if getattr(request.accepted_renderer, "format", None) != "json":
        return build()
    cache = get_cache() if shared else None
    if cache is not None and _has_pending_invalidation(transaction.get_connection()):
        # This transaction changed the catalog: read fresh, store nothing.
        cache = None
    key = None
    if cache is not None:
        try:
            key = _cache_key(view, request, _current_generation(cache))
            entry = cache.get(key)
        except Exception:
            logger.warning("Catalog cache unavailable; answering uncached.", exc_info=True)
            cache = key = entry = None
        if entry is not None:
            content, content_type, etag = entry
            return _finish(
                request, HttpResponse(content, content_type=content_type), etag, shared=True
            )

    response = build()
    if response.status_code != 200 or not isinstance(response, Response):
        return response
    _render(view, request, response)
    etag = _etag(response.content)
    if key is not None:
        try:
            cache.set(
                key,
                (response.content, response["Content-Type"], etag),
                commerce_settings.CATALOG_CACHE_TIMEOUT,
            )
        except Exception:
            logger.warning("Catalog cache unavailable; response not stored.", exc_info=True)
    return _finish(request, response, etag, shared=shared)


# --- signals --------------------------------------------------------------------------


def _model_changed(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    invalidate(using=using or DEFAULT_DB_ALIAS)


def _settings_changed(*, setting: str, **kwargs) -> None:
    # Entries were computed under the old settings (page size, vendor rules).
    # Not deferred to a commit: settings are not transactional.
    if setting in ("COMMERCE", "CACHES"):
        _bump()


def connect_signals(app_config) -> None:
    """Invalidate on every catalog model write (called from the catalog app's ``ready()``)."""
    from treebeard.mp_tree import path_updated

    for name in WATCHED_MODELS:
        model = app_config.get_model(name)
        for signal in (post_save, post_delete):
            signal.connect(
                _model_changed, sender=model, dispatch_uid=f"commerce.catalog.cache.{name}"
            )
    # Moving a subtree rewrites paths with UPDATE queries, which send no post_save.
    path_updated.connect(
        _model_changed,
        sender=app_config.get_model("Category"),
        dispatch_uid="commerce.catalog.cache.path_updated",
    )
    # ``migrate`` may change rows, and ``flush`` (tests) empties the tables.
    post_migrate.connect(
        _model_changed, sender=app_config, dispatch_uid="commerce.catalog.cache.migrate"
    )
    setting_changed.connect(_settings_changed, dispatch_uid="commerce.catalog.cache.settings")
