from django.contrib import admin
from django.urls import include, path

from tongban.api import api

admin.site.site_header = "通办 Tongban 管理后台"
admin.site.site_title = "通办 Tongban"
admin.site.index_title = "主数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tongban.licences.urls")),
    path("", include("tongban.stats.urls")),
    path("", include("tongban.ratings.urls")),
    path("", include("tongban.assistance.urls")),
    path("", include("tongban.consultations.urls")),
    path("", include("tongban.documents.urls")),
    path("", include("tongban.web.urls")),
]

# error pages without traceback, settings or URL list (DEBUG is off); ADR 0091
handler400 = "tongban.core.views.bad_request"
handler403 = "tongban.core.views.permission_denied"
handler404 = "tongban.core.views.page_not_found"
handler500 = "tongban.core.views.server_error"
