from tongban.regions.tests.conftest import api

__all__ = ["api"]
