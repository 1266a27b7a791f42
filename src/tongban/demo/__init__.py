"""Demo data for `tongban seed-demo`: the 武鄂黄黄 world of the seed article with its
cross-province partners (data.py) and the idempotent builder that writes it (builder.py).
Not a Django app: it has no models of its own. See docs/adr/0030-demo-data.md."""
