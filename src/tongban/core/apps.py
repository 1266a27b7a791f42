from typing import Any

from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.core"
    verbose_name = "基础设施"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django_tasks.signals import task_finished

        from tongban.core.pgtypes import keep_long_statement_conversions, use_c_timestamptz_loader

        task_finished.connect(_periodic_job_finished, dispatch_uid="tongban.core.jobs")
        # psycopg's C timestamptz loader instead of Django's Python one (ADR 0147)
        connection_created.connect(use_c_timestamptz_loader, dispatch_uid="tongban.core.pgtypes")
        # the look-up's 4.5 KB statement converted once, not on every run (ADR 0156)
        keep_long_statement_conversions()


def _periodic_job_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """The schedule row of a periodic job shows when its last run ended and its error."""
    from tongban.core.jobs import record_finished

    errors = getattr(task_result, "errors", None) or []
    record_finished(
        task_result.task.module_path,
        errors[-1].exception_class_path if errors else "",
    )
