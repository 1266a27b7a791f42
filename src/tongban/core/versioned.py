"""Per-process caches of master data, invalidated by version (ADR 0119).

Master data (service items, their implementations, jurisdictions, working calendars)
changes rarely and is read by every case action. A process keeps what it has read in an
`lru_cache` keyed by the current `MasterDataVersion.token`; a change of any watched row
sets a new token in the same transaction (`watch` connects the models' save and delete
signals; `bump` is for writes that send none, such as `QuerySet.update`). So there is no
time-based staleness: a process reads the token on every use (folded into a query it
runs anyway where it can, `version_subquery`) and a committed change is seen by the next
request of every process. The token is random rather than counted: a rolled-back change
restores the old token, and the old token's cached rows are the rows as they are again.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Any, TypeVar, cast

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save

from tongban.core.models import MasterDataVersion

SINGLETON = 1
_M = TypeVar("_M", bound=models.Model)


def bump() -> None:
    """A new version: call inside the transaction that changes master data."""
    token = secrets.randbits(62)
    updated = MasterDataVersion.objects.filter(pk=SINGLETON).update(token=token)
    if not updated:
        MasterDataVersion.objects.update_or_create(pk=SINGLETON, defaults={"token": token})


def current() -> int:
    """The version now (one statement; prefer `version_subquery` in a query you run)."""
    token = MasterDataVersion.objects.filter(pk=SINGLETON).values_list("token", flat=True)
    return next(iter(token), 0)


def version_subquery() -> models.Subquery:
    """The version as a scalar subquery, to annotate onto a query that runs anyway."""
    return models.Subquery(
        MasterDataVersion.objects.filter(pk=SINGLETON).values("token")[:1],
        output_field=models.BigIntegerField(),
    )


def _changed(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # loaddata: the fixture's own rows, bumped once by whoever loads them
    bump()


def _links_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        bump()


def watch(*watched: type[models.Model]) -> None:
    """Every save and delete of these models, and every change of their many-to-many
    links, makes a new version (call from ready())."""
    for model in watched:
        post_save.connect(
            _changed, sender=model, dispatch_uid=f"versioned-save-{model._meta.label}"
        )
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"versioned-delete-{model._meta.label}"
        )
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(
                _links_changed,
                sender=through,
                dispatch_uid=f"versioned-links-{model._meta.label}-{field.name}",
            )


@lru_cache(maxsize=4096)
def _row(model: type[models.Model], pk: int, version: int) -> Any:
    return model._default_manager.get(pk=pk)


def row(model: type[_M], pk: int, version: int) -> _M:
    """The row of a watched model as of `version`, read once per process and version.
    Shared between requests and threads: read it, never change it."""
    return cast(_M, _row(model, pk, version))
