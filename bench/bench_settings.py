"""Settings for benchmark runs only: the product settings plus the bare-insert probe app
and a URLconf that adds /bench/insert and /bench/ping. Never used by the product."""

from tongban.settings import *  # noqa: F403
from tongban.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "benchprobe"]
ROOT_URLCONF = "bench_urls"
