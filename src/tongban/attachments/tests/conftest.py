from tongban.web.tests.conftest import pki, pki_files, today  # noqa: F401  (shared fixtures)
