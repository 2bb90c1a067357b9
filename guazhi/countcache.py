"""Row counts that are kept in the cache and thrown away on every write.

A list page shows how many rows each filter holds (the status pills, the
paginator's "共 N 条"). Counting 50,000 postings in scope on every request is
the most expensive thing such a page does (issue 3), and the numbers change
only when somebody writes. So a count is cached under a key that holds the
*generation* of every model it reads; a write to one of those models gives the
model a new generation, and every count that read it is recomputed on its
next request.

- `counted(key, models, compute)`: the cached value, computed when missing.
  `key` must name everything the count depends on besides the models' rows:
  the user's scope (`scope_key`), the filters, the day when a filter is
  relative to today.
- A model's generation changes on every save and delete (signals, connected
  by `track`) and again when the transaction commits, so a count computed
  from data read before the commit is never stored under the new generation.
  `QuerySet.update()`, `bulk_create()` and `bulk_update()` send no signal:
  the tracked models' querysets derive from `WriteTrackingQuerySet`, which
  bumps for them; code writing a tracked model in raw SQL calls `bump(Model)`
  itself (the reminder sweep, the seeds).
- The generation is a fresh random value, not a counter: two writers racing
  cannot end up on the same generation, and a cache that lost a generation
  key starts a new one instead of reviving old counts.
- Counts expire after TTL seconds in any case: the most a change made behind
  the app's back (a database shell) can stay unseen.
"""

import hashlib
from collections.abc import Callable, Iterable
from secrets import token_hex
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
TTL = 300
_TRACKED: set[str] = set()


def _gen_key(model: type[Model]) -> str:
    return f"countgen:{model._meta.label_lower}"


def _new_generation(model: type[Model]) -> None:
    cache.set(_gen_key(model), token_hex(6), None)


def bump(*models: type[Model]) -> None:
    """The counts that read these models are stale: now and after the commit."""
    for model in models:
        _new_generation(model)
        transaction.on_commit(lambda m=model: _new_generation(m))


def _on_write(sender, **kwargs) -> None:
    bump(sender)


def bump_all() -> None:
    """Every tracked model changed (a seed rewrote the database)."""
    for label in _TRACKED:
        cache.set(f"countgen:{label}", token_hex(6), None)


class WriteTrackingQuerySet(QuerySet):
    """The writes that send no signal bump a tracked model's generation too."""

    def _bump(self) -> None:
        if self.model._meta.label_lower in _TRACKED:
            bump(self.model)

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        self._bump()
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        made = super().bulk_create(objs, *args, **kwargs)
        self._bump()
        return made

    def bulk_update(self, objs, fields, *args, **kwargs):
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        self._bump()
        return rows


def track(*models: type[Model]) -> None:
    """Connect the signals that give these models a new generation on write."""
    for model in models:
        label = model._meta.label_lower
        if label in _TRACKED:
            continue
        _TRACKED.add(label)
        uid = f"countcache:{label}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid + ":delete")


def _generations(models: Iterable[type[Model]]) -> list[str]:
    keys = [_gen_key(m) for m in models]
    found = cache.get_many(keys)
    out = []
    for key in keys:
        if key not in found:
            # First use (or the cache lost it): start a generation of our own;
            # `add` keeps a concurrent request's if it came first.
            cache.add(key, token_hex(6), None)
            found[key] = cache.get(key)
        out.append(f"{found[key]}")
    return out


def counted(key: str, models: tuple[type[Model], ...], compute: Callable[[], T]) -> T:
    """The cached result of `compute()` for `key` at the models' generations."""
    for model in models:
        if model._meta.label_lower not in _TRACKED:
            raise RuntimeError(f"{model._meta.label} is not tracked by countcache")
    generations = ".".join(_generations(models))
    digest = hashlib.sha1(f"{key}|{generations}".encode()).hexdigest()
    full_key = f"count:{digest}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, TTL)
    return value


def scope_key(user) -> str:
    """What a user's scope depends on besides the data: role and unit for the
    jurisdiction-wide roles, the user themself for the others."""
    role = getattr(user, "role", "")
    if role in ("admin", "org_staff"):
        return f"{role}:{user.unit_id}"
    return f"{role}:{user.unit_id}:{user.pk}"
