"""`tongban run-worker` deletes the expired held uploads of refused forms (ADR 0123) as
its hourly `purge-held-uploads` job (ADR 0121), and keeps the ones still in their time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from tongban.attachments.actions import CaseFile, hold_uploads
from tongban.attachments.models import HeldUpload
from tongban.core import jobs
from tongban.core.models import ScheduledJob
from tongban.web.tests.conftest import pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _held(world, token: str) -> HeldUpload:
    material = world.implementations[("company", "420100Z01")].materials.get(position=2)
    hold_uploads(
        world.user("421102-clerk"),
        token,
        [CaseFile(pdf_upload(), material.pk)],
        materials=[material.pk],
    )
    return HeldUpload.objects.get(token=token)


def test_the_worker_schedules_the_purge_hourly(settings):
    settings.TONGBAN_JOB_INTERVALS = ""
    assert {job.name: job.every for job in jobs.schedule()}["purge-held-uploads"] == 3600


def test_the_purge_job_deletes_expired_held_files_and_keeps_the_others(
    world, settings, django_capture_on_commit_callbacks
):
    expired, kept = _held(world, "t-expired"), _held(world, "t-kept")
    HeldUpload.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    # only this job is due: every other one is turned off
    settings.TONGBAN_JOB_INTERVALS = ",".join(
        f"{job.name}=0" for job in jobs.schedule() if job.name != "purge-held-uploads"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.enqueue_due() == ["purge-held-uploads"]
        assert jobs.run_pending(sweeps=False) == 1
    assert list(HeldUpload.objects.values_list("token", flat=True)) == ["t-kept"]
    assert not default_storage.exists(str(expired.file.name))
    assert default_storage.exists(str(kept.file.name))
    row = ScheduledJob.objects.get(name="purge-held-uploads")
    assert row.last_finished_at is not None and row.last_error == ""


def test_a_purge_run_with_nothing_expired_deletes_nothing(world, settings):
    kept = _held(world, "t-fresh")
    settings.TONGBAN_JOB_INTERVALS = ",".join(
        f"{job.name}=0" for job in jobs.schedule() if job.name != "purge-held-uploads"
    )
    jobs.enqueue_due()
    assert jobs.run_pending(sweeps=False) == 1
    assert list(HeldUpload.objects.all()) == [kept]
    assert default_storage.exists(str(kept.file.name))
