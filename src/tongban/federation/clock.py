"""This node's clock as the federation sees it: the times written into messages
(`created`, `signed`) and the moment a received message's freshness is judged against.

Two node processes of a test share one machine's clock, so a test (or a demo) shifts one
node's clock by TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS to show that nodes minutes apart
still exchange messages, and that one further apart than the replay window is refused.
Only the federation's clock moves: queue times, leases and back-off stay on the
process's own clock, as they would on a node whose clock is wrong but steady. Production
refuses a non-zero offset (settings)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    offset = float(getattr(settings, "TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS", 0) or 0)
    moment = timezone.now()
    return moment + dt.timedelta(seconds=offset) if offset else moment
