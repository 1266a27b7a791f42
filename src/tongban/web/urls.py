from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tongban.web.views import cases, clerk, desk, guides, hall, kiosk, portal

app_name = "web"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", portal.home, name="home"),
    path("login/", portal.SignInView.as_view(), name="login"),
    path("logout/", portal.SignOutView.as_view(), name="logout"),
    path("register/", portal.register, name="register"),
    path("lookup/", portal.lookup, name="lookup"),
    # applicant portal
    path("my/", portal.my_cases, name="my-cases"),
    path("my/apply/", portal.apply_list, name="apply"),
    path("my/data-reads/", portal.my_data_reads, name="my-data-reads"),
    path("my/apply/<str:item>/<str:handling>/", portal.apply_form, name="apply-form"),
    # window clerk
    path("clerk/", clerk.workbench, name="clerk"),
    path("clerk/items/<str:code>/", clerk.item_routes, name="clerk-routes"),
    path("clerk/cases/new/", clerk.new_case, name="clerk-new-case"),
    path("clerk/applicant/", clerk.applicant_lookup, name="clerk-applicant"),
    path("clerk/identifier/", clerk.validate_identifier, name="clerk-identifier"),
    # cases
    path("queue/", cases.queue, name="queue"),
    path("cases/<str:number>/", cases.case_detail, name="case"),
    path("cases/<str:number>/act/<str:action>/", cases.case_action, name="case-action"),
    path("cases/<str:number>/upload/", cases.upload, name="case-upload"),
    path("cases/<str:number>/receipt/", cases.receipt, name="receipt"),
    path("cases/<str:number>/notices/<str:kind>.pdf", cases.notice_pdf, name="notice"),
    path(
        "cases/<str:number>/printed-licence.pdf",
        cases.printed_licence_pdf,
        name="printed-licence",
    ),
    path("files/<int:pk>/", cases.download, name="download"),
    # delivery desk, supervisor
    path("delivery/", desk.delivery, name="delivery"),
    path("delivery/pickup/", desk.pickup, name="pickup"),
    path("overview/", desk.overview, name="overview"),
    # self-service terminal
    path("kiosk/<int:window_id>/", kiosk.start, name="kiosk-start"),
    path("kiosk/<int:window_id>/login/", kiosk.sign_in, name="kiosk-login"),
    path("kiosk/<int:window_id>/end/", kiosk.end, name="kiosk-end"),
    path("kiosk/<int:window_id>/items/", kiosk.items, name="kiosk-items"),
    path("kiosk/<int:window_id>/items/<str:code>/", kiosk.item, name="kiosk-item"),
    path(
        "kiosk/<int:window_id>/apply/<str:code>/<str:handling>/",
        kiosk.apply,
        name="kiosk-apply",
    ),
    path("kiosk/<int:window_id>/done/<str:number>/", kiosk.done, name="kiosk-done"),
    # public service guides (办事指南), no login
    path("guides/", guides.index, name="guides"),
    path("guides/items/<str:code>/", guides.item, name="guide-item"),
    path("guides/agreements/<str:code>/", guides.agreement, name="guide-agreement"),
    path("guides/centres/<int:centre_id>/", guides.centre, name="guide-centre"),
    # the service hall: booking, ticket kiosk, display, calling (issue 14)
    path("my/appointments/", hall.my_appointments, name="my-appointments"),
    path(
        "my/appointments/<int:appointment_id>/cancel/",
        hall.cancel_appointment,
        name="cancel-appointment",
    ),
    path("hall/", hall.hall_home, name="hall"),
    path("hall/<int:centre_id>/ticket/", hall.ticket_kiosk, name="hall-kiosk"),
    path("hall/<int:centre_id>/display/", hall.display, name="hall-display"),
    path("hall/<int:centre_id>/day/", hall.centre_day, name="hall-day"),
    path("hall/windows/<int:window_id>/", hall.window_page, name="hall-window"),
    path(
        "hall/windows/<int:window_id>/<str:action>/",
        hall.window_action,
        name="hall-window-action",
    ),
]
