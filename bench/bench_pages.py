"""`make bench-pages`: the server time of every page of the web UI with 1,000,000 cases in
the database (issue 3: "every page's server time < 150 ms"). Prints figures; never fails
on them (the exit status only says whether the run itself worked).

1. the PostgreSQL database of the main bench (`--db`, default `tongban_bench`): reused
   when it holds the generated cases, else prepared and generated once by
   run_all.ensure_data (bench/generate_cases.py: several minutes for 1,000,000 cases);
   the statistics are refreshed (`tongban refresh-stats`, incremental) so that the
   dashboard has figures;
2. a few bench-only rows the pages need and the generator does not write: a
   self-service terminal window at 黄州, a password for the generated portal user who
   owns the most cases, and one case walked through the API with many events (pause /
   resume cycles), an e-licence, a shipment and a bad rating with its rectification task
   (created once, found again by later runs);
3. gunicorn with gthread workers (bench/common.py, as `tongban serve`);
4. each demo role logs in through the real login form (session cookie + CSRF token):
   `421102-clerk`, `420100Z01-officer`, `420100Z01-head`, `420100Z01-supervisor`,
   `platform-admin`, `enterprise-1` and the generated applicant; a kiosk session logs in
   through the terminal's own form;
5. every page is requested `--warmup` times, then `--requests` times, one request at a
   time over one keep-alive connection; each page's server time (the `wall` of
   bench/bench_middleware.py's X-Bench-Cost header: the time inside Django), CPU, SQL
   time and query count, and the client wall time;
6. the yardstick (`POST /bench/insert`, one ORM INSERT) before and after, also one
   request at a time, so that a page's req/s divided by the yardstick's req/s is like
   for like;
7. a table on stdout and bench/results/pages-latest.json.

    .venv/bin/python bench/bench_pages.py                  # 1,000,000 cases (default)
    .venv/bin/python bench/bench_pages.py --requests 60    # more samples per page
    .venv/bin/python bench/bench_pages.py --only queue     # pages whose name contains it
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import common

RESULTS_DIR = common.BENCH_DIR / "results"
TARGET_MS = 150.0

CLERK = common.CLERK  # 421102-clerk
OFFICER = common.OFFICER  # 420100Z01-officer
HEAD = f"{common.HANDLING}-head"
SUPERVISOR = f"{common.HANDLING}-supervisor"
ADMIN = "platform-admin"
AGENT = common.AGENT  # enterprise-1, the world's enterprise agent
KIOSK = "kiosk"  # a terminal session (the generated applicant, signed in at the kiosk)
ANONYMOUS = "anonymous"

TERMINAL_CODE = "BENCH-T01"
BUSY_CASE_REASON = "bench-pages: many events"
PAUSE_CYCLES = 20  # submit + 4 + 2 x 20 + 5 = 50 events on the busy case


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Tongban page server times at 1,000,000 cases (issue 3)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--db", default=common.DEFAULT_DB, help="database of the main bench")
    parser.add_argument("--cases-in-db", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests per page")
    parser.add_argument("--insert-seconds", type=float, default=8, help="each yardstick phase")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--only", default="", help="measure only pages whose name contains it")
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="drop the database and generate the cases again (default: reuse them)",
    )
    parser.add_argument("--no-materials", action="store_true", help="(generation) no materials")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "pages-latest.json")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 1000 or not 0 <= args.warmup <= 100:
        parser.error("--requests must be 1..1000 and --warmup 0..100")
    # run_all.ensure_data reads these
    args.reuse_db = not args.regenerate
    return args


# -- data the pages need -----------------------------------------------------------------


def stats_refresh(env: common.BenchEnv) -> float:
    """Fold the events not yet counted into the statistics (incremental: after the first
    run of a database it has nothing to do)."""
    started = time.monotonic()
    common.tongban(env, "refresh-stats")
    return round(time.monotonic() - started, 1)


def applicant_user() -> str:
    """The generated portal user (enterprise agent) who owns the most cases; the
    generator leaves their password unusable, so the bench sets the world's."""
    from django.db.models import Count

    from tongban.accounts.models import User
    from tongban.cases.models import Case

    top = (
        Case.objects.filter(applicant__user__username__startswith="bench-")
        .values("applicant__user")
        .annotate(n=Count("id"))
        .order_by("-n", "applicant__user")
        .first()
    )
    if top is None:
        raise SystemExit("no generated case has a portal user: generate the cases again")
    user = User.objects.get(pk=top["applicant__user"])
    if not user.check_password(common.PASSWORD):
        user.set_password(common.PASSWORD)
        user.save(update_fields=["password"])
    return str(user.username)


def terminal_window() -> int:
    """A self-service terminal window at 黄州 (the world has dedicated windows only)."""
    from tongban.centres.models import ServiceCentre, Window

    centre = ServiceCentre.objects.filter(jurisdiction__code=common.RECEIVING).order_by("pk")[0]
    window, _ = Window.objects.get_or_create(
        centre=centre,
        code=TERMINAL_CODE,
        defaults={"name": "自助终端(bench)", "kind": Window.Kind.TERMINAL},
    )
    return int(window.pk)


def find_busy_case() -> str | None:
    from tongban.cases.models import CaseEvent

    event = (
        CaseEvent.objects.filter(action="pause", reason=BUSY_CASE_REASON)
        .select_related("case")
        .order_by("-case_id")
        .first()
    )
    return event.case.number if event is not None else None


def make_busy_case(base_url: str) -> None:
    """Walk one case through the API with many events, as bench_cases' walk does, plus
    pause/resume cycles; completed, with an e-licence, a shipment and a bad rating (so
    that a rectification task exists)."""
    import bench_cases
    import run_all

    facts = run_all.world_facts()
    tokens = bench_cases.Tokens(base_url)
    tokens.login(CLERK, OFFICER, AGENT)
    clerk, officer, agent = (tokens.headers[u] for u in (CLERK, OFFICER, AGENT))
    body = bench_cases.submission_body(facts["materials"])
    body["applicant"]["uscc"] = facts["uscc"]
    body["applicant"]["agent_id_number"] = facts["agent_id_number"]
    steps: list[tuple[str, dict[str, str], dict[str, Any]]] = [
        ("check", clerk, {}),
        ("transfer", clerk, {"carrier": "EMS", "waybill_number": "EMS-PAGES-1"}),
        ("receive_transfer", officer, {"discrepancies": ""}),
        ("accept", officer, {}),
    ]
    for _ in range(PAUSE_CYCLES):
        steps += [("pause", officer, {"reason": BUSY_CASE_REASON}), ("resume", officer, {})]
    steps += [
        ("approve", officer, {}),
        ("issue_result", officer, {}),
        ("ship", officer, {"method": "post", "carrier": "EMS", "waybill_number": "EMS-PAGES-2"}),
        ("sign_for", agent, {}),
        ("complete", officer, {}),
    ]
    with httpx.Client(base_url=base_url, timeout=60) as client:
        response = client.post("/api/v1/cases", json=body, headers=clerk)
        if response.status_code != 201:
            raise SystemExit(f"busy case: submit -> {response.status_code} {response.text}")
        number = response.json()["number"]
        for action, headers, payload in steps:
            url = f"/api/v1/cases/{number}/actions/{action}"
            response = client.post(url, json=payload, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"busy case: {action} -> {response.status_code} {response.text}")
        rating = {
            "case_number": number,
            "level": 1,
            "indicators": {"overall": 1, "efficiency": 1, "competence": 1, "attitude": 1},
            "comment": "bench-pages: a bad rating, so that a rectification task exists",
            "target_leg": "handling",
        }
        response = client.post("/api/v1/ratings", json=rating, headers=agent)
        if response.status_code != 201:
            common.log(f"busy case: rating -> {response.status_code} {response.text[:200]}")
    common.log(f"busy case {number}: {len(steps) + 1} events")


@dataclass
class Facts:
    """Keys of the rows the pages show, read once in this process."""

    applicant: str
    terminal: int
    busy_case: str
    busy_events: int
    licence_id: str | None
    task_id: int | None
    agreement_id: int
    officer_cases: list[str]  # generated cases the 东湖 officer may read
    accepted_case: str  # a generated case in `accepted` handled by 东湖
    applicant_cases: list[str]
    uscc: str
    year: int


def read_facts(applicant: str, terminal: int, busy_case: str) -> Facts:
    import run_all
    from tongban.agreements.models import Agreement
    from tongban.cases.models import Case, CaseEvent
    from tongban.licences.models import Licence
    from tongban.ratings.models import Rectification

    licence = Licence.objects.filter(case__number=busy_case).order_by("-pk").first()
    task = Rectification.objects.filter(rating__case__number=busy_case).order_by("-pk").first()
    accepted = (
        Case.objects.filter(handling_jurisdiction__code=common.HANDLING, status="accepted")
        .order_by("-received_at")
        .values_list("number", flat=True)
        .first()
    )
    if accepted is None:
        raise SystemExit("no accepted case handled by 东湖: generate the cases again")
    own = list(
        Case.objects.filter(applicant__user__username=applicant)
        .order_by("-received_at")
        .values_list("number", flat=True)[:30]
    )
    return Facts(
        applicant=applicant,
        terminal=terminal,
        busy_case=busy_case,
        busy_events=CaseEvent.objects.filter(case__number=busy_case).count(),
        licence_id=licence.identifier if licence else None,
        task_id=task.pk if task else None,
        agreement_id=Agreement.objects.get(code="WEHH-2023").pk,
        officer_cases=run_all.lookup_numbers(200)[:60],
        accepted_case=accepted,
        applicant_cases=own,
        uscc=run_all.world_facts()["uscc"],
        year=dt.date.today().year,
    )


# -- the pages ---------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    user: str  # a username, KIOSK or ANONYMOUS
    path: str | Callable[[int], str]  # a path, or a function of the request's index
    params: dict[str, str] | None = None
    htmx: bool = False
    note: str = ""
    post: bool = False  # an htmx POST (with the CSRF header): identifiers never go in a URL


def _cycle(paths: list[str]) -> Callable[[int], str]:
    return lambda i: paths[i % len(paths)]


def page_list(f: Facts, applicant: str) -> list[Page]:
    busy = f.busy_case
    generated = [f"/cases/{n}/" for n in f.officer_cases]
    receipts = [f"/cases/{n}/receipt/" for n in f.officer_cases]
    own = [f"/cases/{n}/" for n in f.applicant_cases] or [f"/cases/{busy}/"]
    q = {"q": "登记"}
    new_case = {"item": "ITEM-COMPANY", "handling": common.HANDLING, "mode": "proxy"}
    pages = [
        # public
        Page("home (anonymous)", ANONYMOUS, "/"),
        Page("login form", ANONYMOUS, "/login/"),
        Page("register form", ANONYMOUS, "/register/"),
        Page("public lookup form", ANONYMOUS, "/lookup/"),
        Page("licence verify form", ANONYMOUS, "/verify/"),
        Page("rating summaries (public)", ANONYMOUS, "/ratings/summaries/"),
        Page("kiosk start", ANONYMOUS, f"/kiosk/{f.terminal}/"),
        # window clerk (黄州)
        Page("clerk workbench", CLERK, "/clerk/"),
        Page("clerk item search (htmx)", CLERK, "/clerk/", q, htmx=True),
        Page("clerk item routes", CLERK, "/clerk/items/ITEM-COMPANY/"),
        Page("clerk item routes (htmx)", CLERK, "/clerk/items/ITEM-COMPANY/", htmx=True),
        Page("clerk new-case form", CLERK, "/clerk/cases/new/", new_case),
        Page(
            "clerk applicant lookup (htmx)",
            CLERK,
            "/clerk/applicant/",
            {"identifier": f.uscc, "kind": "enterprise"},
            htmx=True,
            post=True,
        ),
        Page(
            "clerk identifier check (htmx)",
            CLERK,
            "/clerk/identifier/",
            {"uscc": f.uscc},
            htmx=True,
            post=True,
        ),
        Page("queue (clerk, receiving side)", CLERK, "/queue/"),
        Page("delivery desk (clerk)", CLERK, "/delivery/"),
        Page("case page, 50 events (clerk)", CLERK, f"/cases/{busy}/"),
        Page("receipt, 50 events (clerk)", CLERK, f"/cases/{busy}/receipt/"),
        # officer (东湖)
        Page("queue (officer, default)", OFFICER, "/queue/"),
        Page("queue (htmx partial)", OFFICER, "/queue/", htmx=True),
        Page("queue sort=due", OFFICER, "/queue/", {"sort": "due"}),
        Page("queue sort=due page 2", OFFICER, "/queue/", {"sort": "due", "page": "2"}),
        Page("queue status=accepted", OFFICER, "/queue/", {"status": "accepted"}),
        Page("queue status=completed", OFFICER, "/queue/", {"status": "completed"}),
        Page("queue overdue=red", OFFICER, "/queue/", {"overdue": "red"}),
        Page("queue overdue=yellow", OFFICER, "/queue/", {"overdue": "yellow"}),
        Page("queue item=ITEM-MARRIAGE", OFFICER, "/queue/", {"item": "ITEM-MARRIAGE"}),
        Page("queue receiving=421102", OFFICER, "/queue/", {"receiving": "421102"}),
        Page("queue page 2 (cursor)", OFFICER, "/queue/", {"cursor": "<first page>"}),
        Page("case page, 50 events (officer)", OFFICER, f"/cases/{busy}/"),
        Page("case page, generated cases", OFFICER, _cycle(generated), note="60 cases"),
        Page("receipt, generated cases", OFFICER, _cycle(receipts), note="60 cases"),
        Page("action dialog approve", OFFICER, f"/cases/{f.accepted_case}/act/approve/"),
        Page("action dialog (htmx)", OFFICER, f"/cases/{f.accepted_case}/act/approve/", None, True),
        Page("delivery desk (officer)", OFFICER, "/delivery/"),
        Page(
            "notice PDF (acceptance)",
            OFFICER,
            f"/cases/{busy}/notices/acceptance.pdf",
            note="a PDF document, not a page",
        ),
        # head (东湖)
        Page("queue (head)", HEAD, "/queue/"),
        Page("ratings tasks (head)", HEAD, "/ratings/tasks/"),
        # supervisor (东湖)
        Page("supervisor overview", SUPERVISOR, "/overview/"),
        Page("stats dashboard (year)", SUPERVISOR, "/stats/", {"year": str(f.year)}),
        Page(
            "stats dashboard (jurisdiction)",
            SUPERVISOR,
            "/stats/",
            {"year": str(f.year), "jurisdiction": common.HANDLING},
        ),
        Page("stats agreement page", SUPERVISOR, f"/stats/agreements/{f.agreement_id}/"),
        Page("ratings tasks (supervisor)", SUPERVISOR, "/ratings/tasks/"),
        Page("rating summaries (supervisor)", SUPERVISOR, "/ratings/summaries/"),
        # platform administrator: everything in scope
        Page("overview (platform admin)", ADMIN, "/overview/"),
        Page("queue (platform admin)", ADMIN, "/queue/"),
        Page("stats dashboard (platform admin)", ADMIN, "/stats/", {"year": str(f.year)}),
        Page("ratings tasks (platform admin)", ADMIN, "/ratings/tasks/"),
        # the generated applicant with the most cases
        Page("my cases (applicant)", applicant, "/my/"),
        Page("apply list (applicant)", applicant, "/my/apply/"),
        Page("apply search (htmx)", applicant, "/my/apply/", q, htmx=True),
        Page("apply form (applicant)", applicant, f"/my/apply/ITEM-COMPANY/{common.HANDLING}/"),
        Page("my ratings (applicant)", applicant, "/ratings/my/"),
        Page("case page, own cases (applicant)", applicant, _cycle(own)),
        # the world's enterprise agent (applicant of the busy case)
        Page("my cases (enterprise-1)", AGENT, "/my/"),
        Page("my ratings (enterprise-1)", AGENT, "/ratings/my/"),
        Page("rate page (enterprise-1)", AGENT, f"/ratings/case/{busy}/"),
        Page("case page, 50 events (applicant)", AGENT, f"/cases/{busy}/"),
        # a kiosk session
        Page("kiosk items", KIOSK, f"/kiosk/{f.terminal}/items/"),
        Page("kiosk item", KIOSK, f"/kiosk/{f.terminal}/items/ITEM-COMPANY/"),
    ]
    if f.licence_id:
        pages.insert(5, Page("licence verify page", ANONYMOUS, f"/verify/{f.licence_id}"))
    if f.task_id:
        pages.append(Page("rectification task (head)", HEAD, f"/ratings/tasks/{f.task_id}/"))
    pages += consultation_pages()
    return pages


def consultation_pages() -> list[Page]:
    """Whatever consultation pages tongban.web.urls has when the bench runs (parameterless
    GET pages), for the staff roles and the applicant."""
    from django.urls import URLPattern, reverse

    from tongban.web.urls import consultation_patterns

    found = []
    for pattern in consultation_patterns:
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        if pattern.pattern.regex.groups:  # needs an id: not guessed
            continue
        try:
            path = reverse(f"consultations:{pattern.name}")
        except Exception:  # a page being edited right now
            continue
        for user in (CLERK, OFFICER, SUPERVISOR, AGENT):
            found.append(Page(f"consultations {pattern.name} ({user})", user, path))
    return found


# -- HTTP --------------------------------------------------------------------------------


def _client(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(60.0),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_login(client: httpx.Client, username: str, path: str = "/login/") -> None:
    """Sign in as a browser does: GET the form (CSRF cookie + token), POST it."""
    form = client.get(path)
    match = CSRF_INPUT.search(form.text)
    if form.status_code != 200 or match is None:
        raise SystemExit(f"login form {path}: {form.status_code}, no CSRF token")
    response = client.post(
        path,
        data={
            "username": username,
            "password": common.PASSWORD,
            "csrfmiddlewaretoken": match.group(1),
        },
        headers={"Referer": f"{client.base_url}{path}"},
    )
    if response.status_code != 302 or "sessionid" not in client.cookies:
        raise SystemExit(f"login of {username} failed: {response.status_code}")


def parse_cost(header: str | None) -> dict[str, float] | None:
    """X-Bench-Cost (bench/bench_middleware.py): cpu, db, wall in ms; q statements."""
    if not header:
        return None
    try:
        parts = {k: float(v) for k, v in (item.split("=", 1) for item in header.split(";"))}
    except ValueError:
        return None
    return parts if {"cpu", "db", "q", "wall"} <= parts.keys() else None


def percentile(values: list[float], q: float) -> float:
    """Nearest rank (q in 0..100); of 30 samples p95 is the 29th and p99 the largest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Samples:
    client_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    queries: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    error_sample: str = ""

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"count": len(self.client_ms)}
        for key, values in (("server", self.server_ms), ("client", self.client_ms)):
            for q in (50, 95, 99):
                out[f"{key}_p{q}_ms"] = round(percentile(values, q), 1)
        out["cpu_p50_ms"] = round(percentile(self.cpu_ms, 50), 1)
        out["sql_p50_ms"] = round(percentile(self.sql_ms, 50), 1)
        out["sql_p95_ms"] = round(percentile(self.sql_ms, 95), 1)
        out["queries_min"] = int(min(self.queries)) if self.queries else None
        out["queries_max"] = int(max(self.queries)) if self.queries else None
        total = sum(self.client_ms) / 1000
        out["req_per_s"] = round(len(self.client_ms) / total, 1) if total else 0.0
        if self.errors:
            out["errors"] = self.errors
            out["error_sample"] = self.error_sample
        return out


def measure(client: httpx.Client, page: Page, n: int, warmup: int) -> Samples:
    samples = Samples()
    headers = {"HX-Request": "true"} if page.htmx else {}
    for i in range(-warmup, n):
        path = page.path(i + warmup) if callable(page.path) else page.path
        started = time.perf_counter()
        try:
            if page.post:
                csrf = {"X-CSRFToken": client.cookies.get("csrftoken") or ""}
                response = client.post(path, data=page.params, headers={**headers, **csrf})
            else:
                response = client.get(path, params=page.params, headers=headers)
        except httpx.HTTPError as exc:
            samples.errors["0"] = samples.errors.get("0", 0) + 1
            samples.error_sample = repr(exc)
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if i < 0:
            continue
        if response.status_code != 200:
            key = str(response.status_code)
            samples.errors[key] = samples.errors.get(key, 0) + 1
            where = response.headers.get("location", "")
            samples.error_sample = f"{path} -> {response.status_code} {where}".strip()
            continue
        cost = parse_cost(response.headers.get("X-Bench-Cost"))
        samples.client_ms.append(elapsed)
        if cost is not None:
            samples.server_ms.append(cost["wall"])
            samples.cpu_ms.append(cost["cpu"])
            samples.sql_ms.append(cost["db"])
            samples.queries.append(cost["q"])
    return samples


def yardstick(client: httpx.Client, seconds: float) -> dict[str, Any]:
    """POST /bench/insert one request at a time, as the pages are requested."""
    samples = Samples()
    deadline = time.monotonic() + seconds
    for _ in range(200_000):
        if time.monotonic() >= deadline:
            break
        started = time.perf_counter()
        response = client.post("/bench/insert")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            samples.errors[str(response.status_code)] = 1 + samples.errors.get(
                str(response.status_code), 0
            )
            continue
        cost = parse_cost(response.headers.get("X-Bench-Cost"))
        samples.client_ms.append(elapsed)
        if cost is not None:
            samples.server_ms.append(cost["wall"])
            samples.cpu_ms.append(cost["cpu"])
            samples.sql_ms.append(cost["db"])
            samples.queries.append(cost["q"])
    return samples.summary()


def first_cursor(client: httpx.Client) -> str:
    response = client.get("/queue/")
    match = re.search(r"[?&](?:amp;)?cursor=([A-Za-z0-9_-]+)", response.text)
    if match is None:
        raise SystemExit("the officer's queue has no next page: not enough cases?")
    return match.group(1)


# -- report ------------------------------------------------------------------------------


def print_report(results: dict[str, Any]) -> None:
    out = print
    y = results["yardstick"]
    width = 118
    out("")
    out("=" * width)
    out(
        f"Tongban page server times  {results['started_at']}  "
        f"({results['database']['cases']:,} cases; {results['config']['requests']} requests "
        f"per page after {results['config']['warmup']} warm-up; "
        f"{results['config']['workers']}x{results['config']['threads']} gthread)"
    )
    out(
        f"machine: {results['machine']['cpus']} CPUs, load {results['machine']['load_average']}"
        f" -> {results['load_end']}; uptime at start: {results['uptime_start']}"
    )
    out(
        f"yardstick /bench/insert, 1 client: before {y['before']['req_per_s']} req/s, after "
        f"{y['after']['req_per_s']} req/s, mean {y['req_per_s']} req/s "
        f"(server p50 {y['before']['server_p50_ms']} / {y['after']['server_p50_ms']} ms)"
    )
    out("server = time inside Django (X-Bench-Cost wall); client = wall time at the client;")
    out("ratio = the page's req/s (one client) / the yardstick's req/s (one client)")
    out("-" * width)
    out(
        f"{'page':<38}{'user':<22}{'p50':>7}{'p95':>7}{'p99':>7}{'cl p95':>8}{'cpu':>7}"
        f"{'sql ms':>8}{'q':>6}{'req/s':>7}{'ratio':>7}"
    )
    for row in results["pages"]:
        s = row["summary"]
        if not s["count"]:
            out(
                f"{row['name']:<38}{row['user'][:21]:<22}  failed: {s.get('errors')} "
                f"{s.get('error_sample', '')}"
            )
            continue
        q = (
            f"{s['queries_min']}"
            if s["queries_min"] == s["queries_max"]
            else f"{s['queries_min']}-{s['queries_max']}"
        )
        flag = " *" if s["server_p95_ms"] > TARGET_MS else ""
        out(
            f"{row['name']:<38}{row['user'][:21]:<22}{s['server_p50_ms']:>7.1f}"
            f"{s['server_p95_ms']:>7.1f}{s['server_p99_ms']:>7.1f}{s['client_p95_ms']:>8.1f}"
            f"{s['cpu_p50_ms']:>7.1f}{s['sql_p50_ms']:>8.1f}{q:>6}{s['req_per_s']:>7.1f}"
            f"{row.get('ratio', 0):>7.3f}{flag}"
            + (f"  errors {s['errors']}" if s.get("errors") else "")
        )
    out("-" * width)
    over = [r["name"] for r in results["pages"] if r["summary"].get("server_p95_ms", 0) > TARGET_MS]
    failed = [r["name"] for r in results["pages"] if r["summary"].get("errors")]
    out(f"server p95 over {TARGET_MS:.0f} ms (*): {', '.join(over) if over else 'none'}")
    if failed:
        out(f"pages with errors: {', '.join(failed)}")
    out("=" * width)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    RESULTS_DIR.mkdir(exist_ok=True)
    env = common.make_env(args.db)
    common.django_setup(env)
    import bench_cases
    import run_all

    started = time.monotonic()
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": {k: v for k, v in vars(args).items() if k != "output"},
        "machine": run_all.machine_facts(),
        "uptime_start": _uptime(),
    }
    results["generated"] = run_all.ensure_data(args, env)
    from django.db import connection

    connection.close()
    results["stats_refresh_s"] = stats_refresh(env)
    applicant = applicant_user()
    terminal = terminal_window()
    busy = find_busy_case()
    results["database"] = {"cases": _case_count()}
    connection.close()
    common.log(f"{results['database']['cases']:,} cases; applicant {applicant}")

    with common.gunicorn_server(env, args.workers, args.threads) as server:
        base = server.base_url
        bench_cases._check_loopback(base)
        if busy is None:
            make_busy_case(base)
            busy = find_busy_case()
            assert busy is not None
        facts = read_facts(applicant, terminal, busy)
        connection.close()
        results["facts"] = {
            k: v for k, v in vars(facts).items() if k not in ("officer_cases", "applicant_cases")
        }
        pages = [p for p in page_list(facts, applicant) if args.only in p.name]
        clients: dict[str, httpx.Client] = {}
        try:
            for page in pages:
                if page.user in clients:
                    continue
                client = clients[page.user] = _client(base)
                if page.user == KIOSK:
                    client.get(f"/kiosk/{facts.terminal}/")
                    form_login(client, applicant, f"/kiosk/{facts.terminal}/login/")
                elif page.user != ANONYMOUS:
                    form_login(client, page.user)
            common.log(f"signed in: {', '.join(u for u in clients if u != ANONYMOUS)}")
            for page in pages:
                if page.params and page.params.get("cursor") == "<first page>":
                    page.params = {"cursor": first_cursor(clients[page.user])}
            with _client(base) as insert_client:
                common.log(f"yardstick: POST /bench/insert, 1 client, {args.insert_seconds} s")
                before = yardstick(insert_client, args.insert_seconds)
                common.log(f"  {before['req_per_s']} req/s")
                rows = []
                for page in pages:
                    samples = measure(clients[page.user], page, args.requests, args.warmup)
                    summary = samples.summary()
                    rows.append(
                        {
                            "name": page.name,
                            "user": page.user,
                            "note": page.note,
                            "path": page.path if isinstance(page.path, str) else "(cycled)",
                            "params": page.params,
                            "htmx": page.htmx,
                            "summary": summary,
                        }
                    )
                    common.log(
                        f"  {page.name:<38} server p95 {summary['server_p95_ms']:7.1f} ms  "
                        f"q {summary['queries_max']}"
                        + (f"  errors {summary['errors']}" if summary.get("errors") else "")
                    )
                after = yardstick(insert_client, args.insert_seconds)
                common.log(f"yardstick again: {after['req_per_s']} req/s")
        finally:
            for client in clients.values():
                client.close()
    rate = (before["req_per_s"] + after["req_per_s"]) / 2
    results["yardstick"] = {"before": before, "after": after, "req_per_s": round(rate, 1)}
    for row in rows:
        row["ratio"] = round(row["summary"]["req_per_s"] / rate, 4) if rate else None
    results["pages"] = rows
    results["load_end"] = [round(x, 2) for x in os.getloadavg()]
    results["uptime_end"] = _uptime()
    results["total_seconds"] = round(time.monotonic() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print_report(results)
    common.log(f"figures in {args.output}")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _case_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        return int(cursor.fetchone()[0])


if __name__ == "__main__":
    sys.exit(main())
