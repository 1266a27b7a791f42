"""Gunicorn logger for `tongban serve`: the access log goes through the same masking as
the application logs (core.masking), so a request line that carries an ID or phone number
(an old bookmark, a client that still sends a query string, a referer) never reaches
the log in full. Docs: docs/security.md, "Logs and personal data"."""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from tongban.core.masking import MaskPersonalDataFilter, mask_url


class MaskingLogger(glogging.Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask_url(v) if isinstance(v, str) else v for key, v in atoms.items()}

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # the error log prints request lines too (e.g. on a worker timeout)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, MaskPersonalDataFilter) for f in log.filters):
                log.addFilter(MaskPersonalDataFilter())
