"""Every server-rendered page's URL (ADR 0105). Each area keeps the URL namespace it had
when its pages lived in their app (`consultations:list`, `ratings:task`, ...), so no
`reverse` or `{% url %}` changed; the workbench's own pages are `web:*`."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from tongban.web.views import (
    assistance,
    cases,
    clerk,
    consultations,
    desk,
    documents,
    guides,
    hall,
    kiosk,
    licences,
    portal,
    ratings,
    stats,
)

Patterns = list[URLPattern | URLResolver]

web_patterns: Patterns = [
    path("", portal.home, name="home"),
    path("login/", portal.SignInView.as_view(), name="login"),
    path("logout/", portal.SignOutView.as_view(), name="logout"),
    path("register/", portal.register, name="register"),
    path("lookup/", portal.lookup, name="lookup"),
    # applicant portal
    path("my/", portal.my_cases, name="my-cases"),
    path("my/apply/", portal.apply_list, name="apply"),
    path("my/data-reads/", portal.my_data_reads, name="my-data-reads"),
    path("my/licences/", licences.my_licences, name="my-licences"),
    path("my/licences/<str:licence_id>/share/", licences.share_licence, name="share-licence"),
    path(
        "my/licences/shares/<int:share_id>/revoke/",
        licences.revoke_share,
        name="revoke-licence-share",
    ),
    path("licences/shared/<str:token>/", licences.shared_licence, name="shared-licence"),
    path("licences/<str:licence_id>/pdf/", licences.licence_pdf, name="licence-pdf"),
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
    path("kiosk/<int:window_id>/book/", kiosk.book, name="kiosk-book"),
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

# public verification pages (no login): signed e-licences and notices (QR code)
licence_patterns: Patterns = [
    path("verify/", licences.verify_index, name="verify-index"),
    path("verify/<str:licence_id>", licences.verify, name="verify"),
]
notice_patterns: Patterns = [
    path("verify/notices/<str:token>", documents.verify_notice, name="verify-notice"),
]

stats_patterns: Patterns = [
    path("stats/", stats.dashboard_page, name="dashboard"),
    path("stats/agreements/<int:agreement_id>/", stats.agreement_page, name="agreement"),
]

rating_patterns: Patterns = [
    path("ratings/my/", ratings.my_ratings, name="mine"),
    path("ratings/case/<str:number>/", ratings.rate_case, name="rate"),
    path(
        "ratings/consultation/<int:consultation_id>/",
        ratings.rate_consultation,
        name="rate-consultation",
    ),
    path("ratings/pad/", ratings.pad, name="pad"),
    path("ratings/pad/case/<str:number>/", ratings.pad_rate_case, name="pad-case"),
    path(
        "ratings/pad/consultation/<int:consultation_id>/",
        ratings.pad_rate_consultation,
        name="pad-consultation",
    ),
    path("rate/<str:token>/", ratings.rate_by_link, name="link"),
    path("ratings/tasks/", ratings.task_list, name="tasks"),
    path("ratings/tasks/<int:task_id>/", ratings.task_detail, name="task"),
    path("ratings/tasks/<int:task_id>/<str:step>/", ratings.task_step, name="task-step"),
    path("ratings/summaries/", ratings.summaries, name="summaries"),
    path("ratings/summaries/publish/", ratings.publish, name="publish"),
]

assistance_patterns: Patterns = [
    path("assistance/case/<str:number>/", assistance.record_for_case, name="record"),
]

consultation_patterns: Patterns = [
    path("consultations/", consultations.consultation_list, name="list"),
    path("consultations/new/", consultations.record, name="new"),
    path(
        "consultations/<int:consultation_id>/",
        consultations.consultation_detail,
        name="detail",
    ),
    path(
        "consultations/<int:consultation_id>/<str:step>/",
        consultations.consultation_step,
        name="step",
    ),
]

# included at the site's root (tongban/urls.py), each list under its namespace
urlpatterns: Patterns = [
    path("", include((licence_patterns, "licences"))),
    path("", include((stats_patterns, "stats"))),
    path("", include((rating_patterns, "ratings"))),
    path("", include((assistance_patterns, "assistance"))),
    path("", include((consultation_patterns, "consultations"))),
    path("", include((notice_patterns, "documents"))),
    path("", include((web_patterns, "web"))),
]
