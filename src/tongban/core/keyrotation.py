"""Moving every encrypted value to the active data key (ADR 0098, docs/operations.md).

Used by `tongban rotate-data-key` and by the data migrations that encrypted the columns
that were clear text before: both are "re-encrypt every row that is not yet under the
active key", in primary-key batches, each batch one transaction with its rows locked.
Rows already under the active key are not selected again, so a run that stops (or is
stopped) resumes where it was, and a second run changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.db import models, transaction
from django.db.models.functions import Cast

from tongban.core import crypto
from tongban.core.fields import BlindIndexField, EncryptedTextField
from tongban.core.guards import reencrypting

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500


@dataclass
class ModelRotation:
    label: str
    rotated: int = 0  # rows rewritten under the active key
    remaining: int = 0  # rows still not under it (only after a --limit run)


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def blind_index_fields(model: type[models.Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def encrypted_models(app_registry: object = global_apps) -> list[type[models.Model]]:
    return [
        m
        for m in app_registry.get_models()  # type: ignore[attr-defined]
        if not m._meta.proxy and encrypted_fields(m)
    ]


def _raw(field: EncryptedTextField) -> str:
    return f"_raw_{field.attname}"


def stale_rows(model: type[models.Model]) -> models.QuerySet[models.Model]:
    """Rows holding a non-empty value that is not a ciphertext of the active key (clear
    text from before the migration, or a ciphertext of an older key). The stored text is
    read through a cast, which the encrypted field's own look-up rules do not cover."""
    prefix = f"{crypto.PREFIX}{crypto.keyring().active_id}$"
    fields = encrypted_fields(model)
    queryset = model._default_manager.annotate(
        **{_raw(f): Cast(f.attname, output_field=models.TextField()) for f in fields}
    )
    stale = models.Q()
    for f in fields:
        stale |= (
            models.Q(**{f"{_raw(f)}__isnull": False})
            & ~models.Q(**{_raw(f): ""})
            & ~models.Q(**{f"{_raw(f)}__startswith": prefix})
        )
    return queryset.filter(stale)


def rotate_model(
    model: type[models.Model], batch_size: int = DEFAULT_BATCH_SIZE, limit: int | None = None
) -> ModelRotation:
    """Re-encrypt (and re-index) every stale row of `model`; at most `limit` rows."""
    result = ModelRotation(model._meta.label)
    names = [f.attname for f in encrypted_fields(model)]
    names += [f.attname for f in blind_index_fields(model)]
    last_pk: object = None
    while limit is None or result.rotated < limit:
        size = batch_size if limit is None else min(batch_size, limit - result.rotated)
        with transaction.atomic():
            candidates = stale_rows(model).order_by("pk")
            if last_pk is not None:
                candidates = candidates.filter(pk__gt=last_pk)
            pks = list(candidates.values_list("pk", flat=True)[:size])
            if not pks:
                break
            # locked and re-read inside the transaction, so a concurrent edit is not lost
            rows = list(model._default_manager.select_for_update().filter(pk__in=pks))
            # an append-only table (licences) lets its ciphertexts be rewritten here and
            # nowhere else; the values written are the values read (ADR 0098)
            with reencrypting(model):
                for row in rows:
                    # save() decrypts nothing: the row was decrypted on load, the fields
                    # encrypt under the active key and the blind indexes are recomputed
                    row.save(update_fields=names)
            result.rotated += len(pks)
            last_pk = pks[-1]
    if limit is not None:
        result.remaining = stale_rows(model).count()
    logger.info("re-encrypted %d rows of %s", result.rotated, result.label)
    return result


def rotate_all(
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    models_: Iterable[type[models.Model]] | None = None,
) -> list[ModelRotation]:
    return [
        rotate_model(m, batch_size, limit)
        for m in (encrypted_models() if models_ is None else models_)
    ]


def key_usage(models_: Iterable[type[models.Model]] | None = None) -> dict[str, int]:
    """How many stored values each key id protects ("" = clear text), over all models:
    a key may be removed from configuration when it no longer appears here."""
    usage: dict[str, int] = {}
    for model in encrypted_models() if models_ is None else models_:
        for f in encrypted_fields(model):
            values = (
                model._default_manager.annotate(raw=Cast(f.attname, models.TextField()))
                .exclude(raw="")
                .exclude(raw__isnull=True)
                .values_list("raw", flat=True)
                .iterator(chunk_size=2000)
            )
            for value in values:
                key_id = crypto.key_id_of(value)
                usage[key_id] = usage.get(key_id, 0) + 1
    return usage


def decrypt_in_place(model: type[models.Model]) -> None:
    """Reverse of the data migrations: write the clear values back (no blind index)."""
    fields = encrypted_fields(model)
    with transaction.atomic():
        rows = list(model._default_manager.select_for_update().order_by("pk"))
        with reencrypting(model):
            for row in rows:
                model._default_manager.filter(pk=row.pk).update(
                    **{
                        f.attname: models.Value(getattr(row, f.attname), models.TextField())
                        for f in fields
                    }
                )


def encrypt_existing_rows(app_label: str, *model_names: str) -> object:
    """The data-migration step that encrypts rows written before a column became
    encrypted (and fills its blind indexes); reversible by writing clear text back."""
    from django.db import migrations

    def forward(apps: object, schema_editor: object) -> None:
        for name in model_names:
            rotate_model(apps.get_model(app_label, name))  # type: ignore[attr-defined]

    def backward(apps: object, schema_editor: object) -> None:
        for name in model_names:
            decrypt_in_place(apps.get_model(app_label, name))  # type: ignore[attr-defined]

    return migrations.RunPython(forward, backward, elidable=False)
