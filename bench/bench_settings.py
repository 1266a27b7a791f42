"""Settings for benchmark runs only: the product settings plus the bare-insert probe app,
a URLconf that adds /bench/insert and /bench/ping, and a middleware that reports each
request's server-side cost in a header. Never used by the product."""

from tongban.settings import *  # noqa: F403
from tongban.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "benchprobe"]
MIDDLEWARE = ["bench_middleware.RequestCostMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "bench_urls"
