"""Benchmark URLconf: every product URL plus two bench-only views.

`/bench/insert` is the yardstick: a bare Django view doing exactly one ORM INSERT, run
through the same middleware, server and client as the product endpoints. This machine is
shared and noisy, so every figure is also reported as a ratio to its req/s."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from benchprobe.models import InsertProbe
from tongban.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    probe = InsertProbe.objects.create(note="probe")
    return JsonResponse({"id": probe.pk})


def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/insert", insert),
    path("bench/ping", ping),
    *product_urlpatterns,
]
