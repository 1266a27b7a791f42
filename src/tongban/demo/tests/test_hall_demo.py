"""The demo has a day of bookings and tickets at the 东湖 and 黄州 centres, opening hours
with 错时延时 everywhere, and the statistics fold them."""

from __future__ import annotations

from tongban.centres.hours import weekly_table
from tongban.centres.models import ServiceCentre
from tongban.hall.models import Appointment, Ticket
from tongban.stats.hall import queue_stats
from tongban.stats.refresh import refresh
from tongban.stats.selectors import StatsFilter


def test_a_day_of_the_hall(demo_world):
    for code in ("420100Z01", "421102"):
        centre = ServiceCentre.objects.get(jurisdiction__code=code)
        tickets = Ticket.objects.filter(centre=centre)
        assert tickets.count() > 30
        assert tickets.filter(appointment__isnull=False).exists()
        assert {t.code[0] for t in tickets} == {"A", "B"}
        assert Appointment.objects.filter(centre=centre, status="no_show").exists()
        assert Appointment.objects.filter(centre=centre, status="booked").exists()
    donghu = ServiceCentre.objects.get(jurisdiction__code="420100Z01")
    sunday = weekly_table(donghu)[6]
    assert [p.kind for p in sunday.periods] == ["weekend"]
    assert not Ticket.objects.exclude(centre__jurisdiction__code__in=["420100Z01", "421102"])
    refresh()
    total = queue_stats(demo_world.user("platform-admin"), StatsFilter(), None)["total"]
    assert total["tickets"] == Ticket.objects.count()
    assert total["average_wait_minutes"] is not None
