from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tongban.ratings import views

app_name = "ratings"

urlpatterns: list[URLPattern | URLResolver] = [
    path("ratings/my/", views.my_ratings, name="mine"),
    path("ratings/case/<str:number>/", views.rate_case, name="rate"),
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
