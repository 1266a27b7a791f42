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
        # licences across nodes (ADR 0132): trust through the list, the licence travels back
        from tongban.federation import licences
        from tongban.licences import hooks as licence_hooks

        licence_hooks.on_foreign_issuer(licences.foreign_issuer)
        licence_hooks.on_trusted_issuers(licences.trusted_issuers)
        licence_hooks.on_licence_changed(licences.queue_licence)
