from django.apps import AppConfig


class FederationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.federation"
    verbose_name = "节点互联"

    def ready(self) -> None:
        # the federation sits above cases: cases calls it only through its hook registry
        from tongban.cases import hooks
        from tongban.federation import (
            reconcile,  # noqa: F401 (registers its message kind)
            replication,
        )

        hooks.on_event_appended(replication.queue_case_event)
        hooks.on_notify_check(replication.notifies_applicant)
        hooks.on_peer_events(replication.peer_events)
        hooks.on_leg_check(replication.owns_leg)
