"""Model fields for personal data encrypted at rest (ADR 0098).

`EncryptedTextField` stores SM4-GCM ciphertexts (core.crypto) and hands Python code the
clear value; `BlindIndexField` keeps an HMAC-SM3 of another field for exact look-ups.
The database can neither search nor order an encrypted column, so the field refuses every
SQL lookup except `isnull` and `= ""`: a forgotten `filter(id_number=...)` fails loudly
instead of silently matching nothing. Look-ups go through the blind index.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import FieldError
from django.db import models
from django.db.models import lookups, signals
from django.db.models.query_utils import DeferredAttribute

from tongban.core import crypto


class Sealed:
    """An encrypted column's value as the database holds it, decrypted when the attribute
    is first read (ADR 0146). Only the hot prepared statements hand these out
    (`core.prepared`): a case move loads the applicant's five encrypted fields and the
    case's application form with its lock, and reads none of them. Never printed: its
    repr shows no ciphertext either."""

    __slots__ = ("field", "raw")

    def __init__(self, field: EncryptedTextField, raw: str) -> None:
        self.field = field
        self.raw = raw

    def open(self) -> Any:
        """The clear value, decrypted anew on each call (a JSON document is a new object:
        what a caller changes in place never changes this)."""
        return self.field.from_db_value(self.raw, None, None)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sealed) and other.field is self.field and other.raw == self.raw:
            return True
        return bool(self.open() == (other.open() if isinstance(other, Sealed) else other))

    __hash__ = None  # type: ignore[assignment]  # as the values it stands for: dicts

    def __reduce__(self) -> Any:
        return (Sealed, (self.field, self.raw))

    # immutable: a copy of a model instance shares it
    def __copy__(self) -> Sealed:
        return self

    def __deepcopy__(self, memo: Any) -> Sealed:
        return self

    def __repr__(self) -> str:
        return f"<Sealed {self.field.crypto_context}>"


class OpenedOnRead(DeferredAttribute):
    """The attribute of an encrypted field: a `Sealed` value is decrypted on the first
    read and the clear value kept in its place. A data descriptor (it has `__set__`), so
    that it sees every read, also of a value already loaded."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        data = instance.__dict__
        name = self.field.attname
        if name not in data:
            return super().__get__(instance, cls)  # deferred: loaded (and decrypted) now
        value = data[name]
        if type(value) is Sealed:
            value = data[name] = value.open()
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EmptyOnlyExact(lookups.Exact):
    """`= ""` stays possible (blank checks, check constraints); empty values are stored
    as "" in clear so that "has an ID number" stays a database constraint."""

    def get_prep_lookup(self) -> Any:
        if self.rhs != "":
            raise FieldError(
                f"{self.lhs.target.name} is encrypted; look it up through its blind index"
            )
        return ""


class EncryptedTextField(models.TextField):
    """Text encrypted with the active data key on every write. Empty stays empty.

    `plain_max_length` is the longest clear-text value (18 for an ID number, 20 for a
    phone...): the column itself is unbounded text, since a ciphertext is longer than its
    value, but the input contracts (core.inputs) and admin forms still need the limit. It
    is not part of the migration state: changing it alters no table."""

    def __init__(self, *args: Any, plain_max_length: int | None = None, **kwargs: Any) -> None:
        self.plain_max_length = plain_max_length
        super().__init__(*args, **kwargs)

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only)
        # bound into the ciphertext: a value copied to another column does not decrypt
        self.crypto_context = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}".lower()

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return EmptyOnlyExact
        return None  # Django then raises FieldError "Unsupported lookup"

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def formfield(self, **kwargs: Any) -> Any:
        # one-line values (numbers, phones, addresses), not a textarea
        kwargs.setdefault("widget", forms.TextInput)
        if self.plain_max_length:
            kwargs.setdefault("max_length", self.plain_max_length)
        return super().formfield(**kwargs)

    descriptor_class = OpenedOnRead

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, self.crypto_context)

    def seal(self, value: str | None, expression: Any, connection: Any) -> Any:
        """A converter in place of `from_db_value`, for model rows only: the value is
        decrypted when its attribute is first read (`Sealed`)."""
        if value is None or value == "":
            return self.from_db_value(value, expression, connection)
        return Sealed(self, value)

    def get_prep_value(self, value: Any) -> Any:
        value = models.Field.get_prep_value(self, value)  # resolves lazy strings only
        # no "already encrypted?" shortcut: a user's text that happens to look like a
        # ciphertext must be encrypted like any other
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), self.crypto_context)


class EncryptedJSONField(EncryptedTextField):
    """A JSON document (dict/list) encrypted as one value, for documents that carry
    personal data (a licence's signed data names its holder's ID number)."""

    # django-stubs reads the Python types of a field from these
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        text = super().from_db_value(value, expression, connection)
        return None if text is None or text == "" else json.loads(text)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value else None
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return super().get_prep_value(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)

    def formfield(self, **kwargs: Any) -> Any:
        return models.JSONField().formfield(**kwargs)


class BlindIndexField(models.CharField):
    """HMAC-SM3 (hex) of the normalised value of `source`, recomputed on every save and
    bulk_create (pre_save runs for both). Not for bulk_update/update(): use save()."""

    def __init__(self, *args: Any, source: str = "", kind: str = "identifier", **kwargs: Any):
        if kind not in crypto.NORMALISERS:
            raise ValueError(f"unknown blind index kind {kind!r}")
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        for key, default in (("max_length", 64), ("blank", True), ("editable", False)):
            if kwargs.get(key) == default:
                del kwargs[key]
        if kwargs.get("default") == "":
            del kwargs["default"]
        return name, path, args, kwargs

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only)
        signals.pre_save.connect(self._check_update_fields, sender=cls, weak=False)

    def _check_update_fields(
        self, sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any
    ) -> None:
        # save(update_fields=[source]) would leave a stale index: fail loudly instead
        if update_fields and self.source in update_fields and self.attname not in update_fields:
            raise FieldError(f"save(update_fields=...) names {self.source} but not {self.name}")

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = crypto.blind_index(self.kind, getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
