from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models

from tongban.core.models import AuditEvent


def record_audit(
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit row in the caller's transaction (so it commits or rolls back with it)."""
    return AuditEvent.objects.create(
        actor_id=actor.pk if actor is not None else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:255],
        data=data or {},
    )
