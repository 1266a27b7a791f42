from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


def _reinstall_guards(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After every migrate: SQLite rebuilds tables (and drops their triggers) for many
    schema changes, and a new column must join the SQLite trigger's column list."""
    from django.apps import apps as global_apps
    from django.db import connections

    from tongban.core import guards

    connection = connections[using]
    app_labels = {g.model.split(".")[0] for g in guards.GUARDS}
    if all(global_apps.is_installed(f"tongban.{label}") for label in app_labels):
        tables = set(connection.introspection.table_names())
        if all(global_apps.get_model(g.model)._meta.db_table in tables for g in guards.GUARDS):
            guards.install(connection, global_apps)


class IntegrityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.integrity"
    verbose_name = "历史防篡改"

    def ready(self) -> None:
        from tongban.core import guards

        connection_created.connect(guards.register_sqlite_function, dispatch_uid="tongban-purge")
        post_migrate.connect(_reinstall_guards, sender=self, dispatch_uid="tongban-guards")
