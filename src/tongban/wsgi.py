import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
application = get_wsgi_application()

# Everything loaded by now (Django, the apps, the URL patterns with the API and its
# schemas) lives as long as the worker. Frozen, it is left out of the collector's full
# passes, which otherwise walk those hundreds of thousands of objects again during some
# request and put a pause of milliseconds into the tail of every kind of request
# (ADR 0137). The URLconf is imported here, not on the first request, to be frozen too.
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
# Fewer, larger young passes (settings.GC_YOUNG_THRESHOLD, ADR 0153): most of a request's
# objects are freed by their reference counts before the collector would see them.
gc.set_threshold(settings.GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
