from django.apps import AppConfig


class FederationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.federation"
    verbose_name = "节点互联"

    def ready(self) -> None:
        # the federation sits above cases: cases calls it only through its hook registry
        from tongban.cases import hooks
        from tongban.federation import (
            joint,
            reconcile,  # noqa: F401 (registers its message kind)
            replication,
        )

        hooks.on_event_appended(replication.queue_case_event)
        # after the part's submit event: its replica is made after the events before it
        hooks.on_event_appended(joint.queue_remote_part)
        hooks.on_notify_check(replication.notifies_applicant)
        hooks.on_peer_events(replication.peer_events)
        hooks.on_leg_check(replication.owns_leg)
        hooks.on_lead_ended(joint.tell_lead_ended)
