"""The one table of the bare-insert yardstick view (bench/bench_urls.py)."""

from django.db import models


class InsertProbe(models.Model):
    note = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"probe {self.pk}"
