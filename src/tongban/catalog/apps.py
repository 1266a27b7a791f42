from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.catalog"
    verbose_name = "事项目录"

    def ready(self) -> None:
        from tongban.catalog import models
        from tongban.core import versioned

        # cached per process by version (ADR 0119): each change makes a new version; the
        # checklist too, kept with its implementation (a published one's is frozen, but a
        # row written directly must not leave a stale checklist behind)
        versioned.watch(models.ServiceItem, models.ItemImplementation, models.Material)
