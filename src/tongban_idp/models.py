from __future__ import annotations

from django.conf import settings
from django.db import models


class Person(models.Model):
    """What the platform verified about one of its users: the claims it asserts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person"
    )
    name = models.CharField(max_length=64)
    trust_level = models.PositiveSmallIntegerField(default=2)
    id_number = models.CharField(max_length=18, blank=True)
    # the enterprise this person is authorised to act for as 经办人, if any
    uscc = models.CharField(max_length=18, blank=True)
    enterprise_name = models.CharField(max_length=128, blank=True)
