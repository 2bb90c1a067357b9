"""The kinds of obligation, each contributed by the app that knows its records.

Obligations (issue 17) are what each party owes in the secondment cycle
(DOMAIN.md rules 7, 8, 14, 15). This app defines the kinds whose records live
below it (the dossier's records, `obligations.kinds`); apps above it add
theirs with `register` in their `AppConfig.ready` (assessment adds its
reviews, evaluations and ballots), so the sweep and the pages never need to
know who defined a kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q


@dataclass(frozen=True)
class Expected:
    """One obligation a kind expects: `subject` is what it is about when not
    the posting itself, a model instance or (model, pk), or None."""

    posting_id: int
    period: dt.date
    subject: Any
    due_on: dt.date
    unit_id: int | None


@dataclass
class Window:
    """What one run of the sweep looks at: the obligations that appear
    (become known) in (since, today]; every one up to today when `since` is
    None (the catch-up). `postings` narrows the postings considered (the
    catch-up's batch, the postings changed lately), as lookups on Posting.
    `cache` lets the kinds of one run share what they load."""

    today: dt.date
    since: dt.date | None = None
    postings: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    def appears(self, day: dt.date) -> bool:
        """Whether an obligation known from `day` is this run's to create."""
        return day <= self.today and (self.since is None or day > self.since)

    def posting_q(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in self.postings.items()})

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]


@dataclass(frozen=True)
class Kind:
    """One kind of obligation.

    - `expected(window)`: the obligations that appear in the window, as
      `Expected` rows, computed set-based (a few queries, none per posting).
    - `fulfilled(open_obligations, today)`: {obligation pk: (done_on,
      record)} for those of the open obligations (a queryset of this kind)
      whose record has been filed; `record` is a model instance or (model, pk).
    - `fulfil_url(obligation, user)`: the form that fulfils it;
      `fulfil_urls(obligations, user)`: {pk: url} for many at once, for a
      kind whose URL needs a query (one for the page, not one per row).
    - `scope_q(user, prefix)`: a filter on `prefix` + Obligation fields for
      the kind's own parents beyond the posting (an evaluation also needs its
      round in scope); None if none.
    - `closed_by`: models whose post_save may fulfil it at once (the sweep
      closes anything these miss); `postings_of(record)`: a filter on
      Obligation for the obligations such a record may fulfil, or None when
      it fulfils none in its state (a draft); by default its posting's.
    - `record_url(obligation)`: the page of the record that fulfilled it.
    """

    key: str
    label: str
    owed_by: str
    expected: Callable[[Window], Iterable[Expected]]
    fulfilled: Callable[[Any, dt.date], dict]
    fulfil_url: Callable[[Any, Any], str]
    fulfil_urls: Callable[[list, Any], dict[int, str]] | None = None
    scope_q: Callable[[Any, str], Q] | None = None
    closed_by: tuple[type[Model], ...] = ()
    postings_of: Callable[[Any], Q] | None = None
    record_url: Callable[[Any], str] | None = None
    # Kinds that follow rounds rather than the postings' dates: the catch-up
    # runs them once, not per batch of postings.
    per_posting: bool = True


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    """Add a kind (idempotent: the same key again replaces it)."""
    KINDS[kind.key] = kind


def fulfil_urls(obligations, user) -> dict[int, str]:
    """{pk: the form that fulfils it} for a page of obligations, each kind's
    in one go where it has `fulfil_urls`."""
    by_kind: dict[str, list] = {}
    for obligation in obligations:
        by_kind.setdefault(obligation.kind, []).append(obligation)
    urls: dict[int, str] = {}
    for key, group in by_kind.items():
        kind = KINDS.get(key)
        if kind is not None and kind.fulfil_urls is not None:
            urls.update(kind.fulfil_urls(group, user))
        else:
            urls.update((o.pk, o.get_fulfil_url(user)) for o in group)
    return urls


def label(key: str) -> str:
    kind = KINDS.get(key)
    return str(kind.label) if kind else key
