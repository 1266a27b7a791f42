"""Test helpers for code that issues or renders documents: a PKI in a temporary
directory, and cases built directly with the ORM in a chosen state (the documents and
licences tests need a case with its events, not the whole workflow).

Use in a conftest:

    @pytest.fixture(scope="session")
    def pki_files(tmp_path_factory):
        return tmp_path_factory.mktemp("pki")

    @pytest.fixture
    def pki(world, settings, pki_files):
        return use_test_pki(settings, pki_files)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils import timezone

from tongban.accounts.models import User
from tongban.licences import actions


def use_test_pki(settings: Any, directory: Path, key_type: str = "rsa") -> actions.PkiReport:
    """Point TONGBAN_PKI_DIR at `directory` and run the set-up (files are made on the
    first call and reused afterwards; the database rows are registered every time)."""
    settings.TONGBAN_PKI_DIR = directory
    settings.TONGBAN_PKI_PASSPHRASE = "test-pki-passphrase"
    return actions.setup_pki(None, key_type=key_type)


def make_case(
    world: Any,
    *,
    item: str = "company",
    handling: str = "420100Z01",
    receiving: str | None = "421102",
    mode: str = "proxy",
    status: str = "accepted",
    applicant: str = "enterprise",
    number: str | None = None,
    received_at: dt.datetime | None = None,
    accepted: bool = True,
) -> Any:
    """A case of `item` handled by `handling`, received at `receiving`, with one
    CaseMaterial per checklist line (all provided)."""
    from tongban.cases.models import Case, CaseMaterial

    handling_j = world.jurisdictions[handling]
    receiving_j = world.jurisdictions[receiving] if receiving else None
    implementation = world.implementations[(item, handling)]
    received_at = received_at or timezone.now() - dt.timedelta(days=2)
    seq = Case.objects.count() + 1
    case = Case.objects.create(
        number=number or f"{(receiving or handling)}-20250307-{seq:06d}",
        item=world.items[item],
        implementation=implementation,
        mode=mode,
        channel="window" if receiving else "web",
        receiving_jurisdiction=receiving_j,
        receiving_window=world.windows[receiving] if receiving else None,
        handling_jurisdiction=handling_j,
        agreement=world.agreement if receiving else None,
        applicant=world.applicants[applicant],
        submitted_by=world.user(f"{receiving or handling}-clerk"),
        status=status,
        delivery_method="post",
        received_at=received_at,
        accepted_at=received_at + dt.timedelta(hours=20) if accepted else None,
        promised_days=implementation.promised_limit_days,
        statutory_days=implementation.statutory_limit_days,
        due_date=(received_at + dt.timedelta(days=5)).date() if accepted else None,
    )
    for material in implementation.materials.order_by("position"):
        CaseMaterial.objects.create(
            case=case,
            material=material,
            name=material.name,
            state="provided",
            original_required=material.form == "original",
        )
    return case


def add_event(
    case: Any,
    action: str,
    *,
    to_status: str | None = None,
    actor: User | None = None,
    jurisdiction: Any = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> Any:
    from tongban.cases.models import CaseEvent

    case.event_count += 1
    from_status = case.status
    if to_status:
        case.status = to_status
    case.save(update_fields=["event_count", "status"])
    return CaseEvent.objects.create(
        case=case,
        seq=case.event_count,
        action=action,
        from_status=from_status,
        to_status=case.status,
        practice_code=1,
        actor=actor,
        actor_jurisdiction=jurisdiction,
        at=at or timezone.now(),
        reason=reason,
        data=data or {},
    )


def issue_signed(case: Any, actor: Any, **kwargs: Any) -> Any:
    """`issue_licence_for_case`, then what the worker does after commit: sign it
    (ADR 0121). The licence comes back `valid`, with its signatures and PDF."""
    from tongban.licences.actions import issue_licence_for_case, sign_licence

    licence = issue_licence_for_case(case, actor, **kwargs)
    sign_licence(licence.pk)
    licence.refresh_from_db()
    return licence
