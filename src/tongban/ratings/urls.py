from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tongban.ratings import views

app_name = "ratings"

urlpatterns: list[URLPattern | URLResolver] = [
    path("ratings/my/", views.my_ratings, name="mine"),
    path("ratings/case/<str:number>/", views.rate_case, name="rate"),
    path(
        "ratings/consultation/<int:consultation_id>/",
        views.rate_consultation,
        name="rate-consultation",
    ),
    path("ratings/pad/", views.pad, name="pad"),
    path("ratings/pad/case/<str:number>/", views.pad_rate_case, name="pad-case"),
    path(
        "ratings/pad/consultation/<int:consultation_id>/",
        views.pad_rate_consultation,
        name="pad-consultation",
    ),
    path("rate/<str:token>/", views.rate_by_link, name="link"),
    path("ratings/tasks/", views.task_list, name="tasks"),
    path("ratings/tasks/<int:task_id>/", views.task_detail, name="task"),
    path(
        "ratings/tasks/<int:task_id>/<str:step>/",
        views.task_step,
        name="task-step",
    ),
    path("ratings/summaries/", views.summaries, name="summaries"),
    path("ratings/summaries/publish/", views.publish, name="publish"),
]
