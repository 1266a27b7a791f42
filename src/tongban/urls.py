from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from tongban.api import api
from tongban.core.errors import not_found
from tongban.core.responses import api_error_response


@csrf_exempt  # a JSON 404 for any method; nothing is read or written
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any /api/ URL that matches no operation (e.g. a non-numeric id) answers the API's
    JSON 404, not the HTML page."""
    return api_error_response(request, not_found())


admin.site.site_header = "通办 Tongban 管理后台"
admin.site.site_title = "通办 Tongban"
admin.site.index_title = "主数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", include("tongban.web.urls")),
]

# error pages without traceback, settings or URL list (DEBUG is off); ADR 0091
handler400 = "tongban.web.views.errors.bad_request"
handler403 = "tongban.web.views.errors.permission_denied"
handler404 = "tongban.web.views.errors.page_not_found"
handler500 = "tongban.web.views.errors.server_error"
