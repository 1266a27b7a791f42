from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.documents"
    verbose_name = "文书"

    def ready(self) -> None:
        from tongban.documents import checks  # noqa: F401  (registers the font check)
