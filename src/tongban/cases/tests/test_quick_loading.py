"""Model instances made from rows without `Model.__init__` (core/loading.py, ADR 0152):
the same instance as Django's own `from_db` makes, for full and deferred rows, related
rows and encrypted fields; Django's way whenever `__init__` is listened to."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Model, signals

from tongban.accounts.models import Applicant
from tongban.attachments.models import Attachment
from tongban.cases import selectors
from tongban.cases.models import Case, CaseEvent
from tongban.cases.tests.conftest import company_submission
from tongban.core.loading import QuickLoading, _setters

pytestmark = pytest.mark.django_db


def _django_made(model: type[Model], names: list[str], values: tuple[Any, ...]) -> Any:
    django: Any = super(QuickLoading, model)
    return django.from_db("default", names, values)


def _state(obj: Model) -> dict[str, Any]:
    data = {k: v for k, v in obj.__dict__.items() if k != "_state"}
    return {"data": data, "adding": obj._state.adding, "db": obj._state.db}


@pytest.mark.parametrize("model", [Case, CaseEvent, Applicant])
@pytest.mark.parametrize("deferred", [False, True])
def test_an_instance_is_the_one_django_makes(world, api, model, deferred):
    number = api("421102-clerk").post("/cases", company_submission(world)).json()["number"]
    case = Case.objects.get(number=number)
    qs = {
        Case: Case.objects.filter(pk=case.pk),
        CaseEvent: CaseEvent.objects.filter(case=case),
        Applicant: Applicant.objects.filter(pk=case.applicant_id),
    }[model]
    names = [f.attname for f in model._meta.concrete_fields]
    if deferred:  # every third column, the primary key always
        names = ["id", *names[1::3]]
    rows = list(qs.values_list(*names))
    assert rows
    for row in rows:
        quick = model.from_db("default", names, row)
        django = _django_made(model, names, row)
        assert type(quick) is model and _state(quick) == _state(django)
        assert quick == django and not quick._state.adding
    if deferred:
        # a deferred field loads on first read, as ever
        loaded, full = qs.only("id").first(), qs.first()
        for field in model._meta.concrete_fields:
            assert getattr(loaded, field.attname) == getattr(full, field.attname)


def test_loaded_rows_read_as_before(world, api):
    """Through the ORM, select_related and the prepared queue: related objects, encrypted
    values (opened on first read) and foreign keys are what they were."""
    clerk = api("421102-clerk")
    number = clerk.post("/cases", company_submission(world)).json()["number"]
    case = Case.objects.select_related("applicant", "item").get(number=number)
    assert case.applicant.name == world.applicants["enterprise"].name
    assert case.item.pk == case.item_id
    assert case.form_data == Case.objects.get(pk=case.pk).form_data
    officer = world.users["420100Z01-officer"]
    rows, _ = selectors.queue_page(officer, selectors.QueueFilter(), None, 10)
    row = next(r for r in rows if r.number == number)
    assert row.applicant.name == world.applicants["enterprise"].name
    assert row.applicant.pk == case.applicant_id
    # a value set after loading is kept, and a foreign key set anew forgets the old object
    row.status = "checked"
    assert row.status == "checked"
    row.applicant_id = case.applicant_id + 10**6
    assert "applicant" not in row._state.fields_cache


def test_a_listened_init_is_run(world, api):
    number = api("421102-clerk").post("/cases", company_submission(world)).json()["number"]
    heard: list[Any] = []

    def listener(sender: Any, instance: Any, **kwargs: Any) -> None:
        heard.append(instance)

    signals.post_init.connect(listener, sender=Case)
    try:
        case = Case.objects.get(number=number)
    finally:
        signals.post_init.disconnect(listener, sender=Case)
    assert heard == [case]
    heard.clear()
    Case.objects.get(number=number)
    assert heard == []


def test_a_descriptor_that_does_more_than_store_is_called():
    """A file field's descriptor wraps the value: it is set through the descriptor, the
    attributes that only store theirs go straight to the instance."""
    assert _setters(Attachment, ("id", "file", "case_id")) == frozenset({"file"})
    assert _setters(Case, tuple(f.attname for f in Case._meta.concrete_fields)) == frozenset()
