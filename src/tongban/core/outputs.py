"""Output contracts of the hot reads: answers the API builds itself as plain dicts.

Django Ninja's `Schema` wraps every object it validates, nested ones included, in a
Python `DjangoGetter` (so that a schema can read an ORM instance, resolve `resolve_*`
methods, turn managers into lists). For a body that is already a dict of plain values
that wrapping is all the cost: validating a queue page of 50 rows took 3.4 ms with
`Schema` and 0.4 ms with a plain pydantic model, whose validation runs in pydantic-core
alone (issue 12 §4, ADR 0131). The answer is still validated against the same model, and
the OpenAPI document is the same (`make schema-check`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """An answer built as a dict by the endpoint: validated by pydantic-core, no
    `DjangoGetter`. Use `ninja.Schema` for an answer read from model instances."""

    model_config = ConfigDict(from_attributes=True)
