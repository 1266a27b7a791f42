"""`tongban purge-held-uploads [--every N]`: delete the files held for failed form
submissions once they expire (TONGBAN_HELD_UPLOAD_HOURS, ADR 0123)."""

from __future__ import annotations

from tongban.attachments.actions import purge_held_uploads
from tongban.core.periodic import PeriodicCommand


class Command(PeriodicCommand):
    help = "删除过期的暂存上传文件 / delete expired held uploads"

    def run_once(self, quiet: bool = False) -> None:
        count = purge_held_uploads()
        if not quiet:
            self.stdout.write(f"purged {count} held upload(s)")
