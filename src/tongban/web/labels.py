"""Labels of choices owned by other apps, shown in the current language.

The models keep their Simplified Chinese labels (the source language of the UI), marked
with `gettext_noop` where they are declared so that `make messages` extracts them; the
message catalogue (src/tongban/locale) holds their English translations, and they are
translated here when shown (ADR 0107). A label stays a plain string in the models because
it also goes into JSON (notification data, API fields) in the language of the record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext

from tongban.accounts.models import Applicant, Role
from tongban.cases.models import CaseMaterial, Shipment, Status
from tongban.cases.selectors import OverdueLevel
from tongban.cases.workflow import ACTION_LABELS
from tongban.catalog.models import Channel, DeliveryMethod, ItemImplementation, Material, Mode

CHOICES: dict[str, type[models.TextChoices]] = {
    "status": Status,
    "material_state": CaseMaterial.State,
    "shipment_purpose": Shipment.Purpose,
    "shipment_destination": Shipment.Destination,
    "shipment_state": Shipment.State,
    "mode": Mode,
    "channel": Channel,
    "delivery": DeliveryMethod,
    "requirement": Material.Requirement,
    "form": Material.Form,
    "result_type": ItemImplementation.ResultType,
    "role": Role,
    "applicant_kind": Applicant.Kind,
}


def choice_label(kind: str, value: str | None) -> str:
    """The label of `value` in the choices named `kind`, translated; the raw value if
    unknown (never an exception in a template)."""
    if value is None or value == "":
        return ""
    choices = CHOICES.get(kind)
    if choices is None:
        return str(value)
    try:
        return gettext(str(choices(value).label))
    except ValueError:
        return str(value)


def status_label(value: str) -> str:
    return choice_label("status", value)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def overdue_label(level: str) -> str:
    return gettext(OverdueLevel.LABELS.get(level, level))
