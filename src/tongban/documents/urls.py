from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tongban.documents import views

app_name = "documents"

urlpatterns: list[URLPattern | URLResolver] = [
    path("verify/notices/<str:token>", views.verify_notice, name="verify-notice"),
]
