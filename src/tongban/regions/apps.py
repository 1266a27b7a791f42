from django.apps import AppConfig


class RegionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.regions"
    verbose_name = "行政区划与管辖地"

    def ready(self) -> None:
        from tongban.core import versioned
        from tongban.regions import models

        # cached per process by version (ADR 0119): each change makes a new version
        versioned.watch(
            models.AdministrativeRegion,
            models.Jurisdiction,
            models.Department,
            models.CalendarYear,
            models.CalendarDay,
        )
