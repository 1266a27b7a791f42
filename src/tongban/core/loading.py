"""Model instances made from database rows without `Model.__init__` (ADR 0152).

A queue page turns 50 case rows and their 50 applicants into model instances. Django's
`Model.from_db` pads a row of 25 selected columns to the model's 50 fields with
`DEFERRED`, calls `__init__`, which walks all 50 and sends `pre_init` and `post_init`:
21 µs a case, 1.5 ms of a page's 2.2 ms of Python at 1,000,000 cases.

`from_db` is the documented hook for "customizing model loading". `QuickLoading` keeps
its contract: the same attributes in the instance's `__dict__`, `_state.adding` false and
`_state.db` set, through the field's own descriptor wherever setting a value does more
than storing it. It falls back to Django's way whenever a `pre_init` or `post_init`
receiver listens to the model, since those expect `__init__` to run.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Self, cast

from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

from tongban.core.fields import OpenedOnRead

# descriptors whose `__set__`, on an instance just made, only stores the value in the
# instance's `__dict__` under the field's attname (a foreign key's also forgets a cached
# related object, which a new instance cannot have yet)
_STORE_ONLY = (ForeignKeyDeferredAttribute, OpenedOnRead)

# (model, attnames) -> the attnames whose descriptor must be called
_SETTERS: dict[tuple[type, tuple[str, ...]], frozenset[str]] = {}


def _setters(model: type, names: tuple[str, ...]) -> frozenset[str]:
    found = _SETTERS.get((model, names))
    if found is None:
        setters = set()
        for name in names:
            descriptor = next(
                (klass.__dict__[name] for klass in model.__mro__ if name in klass.__dict__), None
            )
            stores_only = type(descriptor) is DeferredAttribute or isinstance(
                descriptor, _STORE_ONLY
            )
            if descriptor is not None and not stores_only and hasattr(descriptor, "__set__"):
                setters.add(name)
        found = _SETTERS[(model, names)] = frozenset(setters)
    return found


class QuickLoading:
    """Mixed into a hot model before `models.Model`: `from_db` without `__init__`."""

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        if kwargs or signals.pre_init.has_listeners(cls) or signals.post_init.has_listeners(cls):
            django: Any = super()
            return cast(Self, django.from_db(db, field_names, values, **kwargs))
        names = tuple(field_names)
        setters = _setters(cls, names)
        new = cls.__new__(cls)
        state = ModelState()
        state.adding = False
        state.db = db
        data = new.__dict__
        data["_state"] = state
        if not setters:
            data.update(zip(names, values, strict=True))
        else:
            for name, value in zip(names, values, strict=True):
                if name in setters:
                    setattr(new, name, value)
                else:
                    data[name] = value
        return new
