"""Stock counts (盘点) (blueprint "counts").

The count page is the counter's tablet: while the sheets are generated it shows a progress bar
that polls every second; then the sheet in walking order and the entry panel, where a scanned or
typed part number (or a tap on a line) brings up the bin to count. Entries answer with the entry
panel for the next bin and a `count-entered` event that refreshes the sheet."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.core.services import commit_unit
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.parts import authority, counts
from intranet.parts.forms import CountEntryForm, ExplainForm, OpenCountForm, VersionForm
from intranet.parts.models import AbcClass, CountKind, CountStatus
from intranet.web import add_trigger, current_store, run_action, toast

counts_bp = guard(Blueprint("counts", __name__, url_prefix="/parts/counts"), Role.PARTS, Role.DIRECTOR, Role.MANAGER)

ENTERED = "count-entered"


def _int(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else value
    return int(value) if isinstance(value, str) and value.isdigit() else (value if isinstance(value, int) else None)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def _count_or_404(count_id: int):
    try:
        return counts.get_count(count_id, current_store().id)
    except NotFound:
        abort(404)


def _refusal_status(refused: DomainError) -> int:
    return 409 if isinstance(refused, Conflict) else 422


# ------------------------------------------------------------------ the list and opening a count

@counts_bp.get("/", endpoint="index")
def count_list():
    return _render_index()


def _render_index(error=None, typed=None, status: int = 200):
    store = current_store()
    open_counts, archive = counts.list_counts(store.id)
    progress = {c.id: counts.sheet_progress(c.id) for c in open_counts}
    html = render_template("parts/counts/index.html", open_counts=open_counts, archive=archive, progress=progress,
                           kinds=list(CountKind), classes=list(AbcClass), typed=typed or {}, error=error,
                           may_open=current_user.has_role(*counts.APPROVER_ROLES),
                           default_recount=counts.DEFAULT_RECOUNT_VALUE)
    return make_response(html, status)


@counts_bp.post("/")
def open_count():
    store = current_store()
    form = OpenCountForm()
    try:
        form.check()
        count = commit_unit(lambda: counts.open_count(
            store_id=store.id, actor_id=current_user.id, kind=form.kind.data, classes=form.classes.data,
            bin_prefix=form.bin_prefix.data, recount_value=form.recount_value.data))
    except DomainError as refused:
        db.session.rollback()
        return _render_index(refused.message, {**form.typed(), "field": refused.field}, _refusal_status(refused))
    count_id = count.id
    counts.request_sheets(count_id)  # after the commit: the worker must find the count
    db.session.commit()  # a job kept while Redis is down
    flash(_("Count opened: its sheets are being prepared."), "success")
    return redirect(url_for("counts.count", count_id=count_id))


# ------------------------------------------------------------------ the count page

def _show() -> str:
    show = request.values.get("show", "all")
    return show if show in counts.SHEET_FILTERS else "all"


def _page() -> int:
    value = request.values.get("page", "1")
    return max(int(value), 1) if value.isdigit() else 1


def render_sheet(count, show: str, page: int) -> str:
    lines, more = counts.sheet_lines(count.id, show=show, page=page)
    return render_template("parts/counts/_sheet.html", count=count, lines=lines, more=more, show=show, page=page,
                           progress=counts.sheet_progress(count.id))


def render_entry(count, line=None, *, error=None, typed=None, done=None) -> str:
    return render_template("parts/counts/_entry.html", count=count, line=line,
                           stage=counts.line_stage(line) if line is not None else None,
                           error=error, typed=typed or {}, done=done)


@counts_bp.get("/<int:count_id>", endpoint="count")
def count_page(count_id: int):
    count = _count_or_404(count_id)
    show, page = _show(), _page()
    if count.status_enum == CountStatus.GENERATING:
        return render_template("parts/counts/count.html", count=count, sheet=None, entry=None)
    first = None
    if count.status_enum == CountStatus.COUNTING:
        first = counts.next_line(count.id, 0, "second" if show == "recount" else "first")
    return render_template("parts/counts/count.html", count=count, show=show,
                           sheet=render_sheet(count, show, page),
                           entry=render_entry(count, first) if count.status_enum == CountStatus.COUNTING else None)


@counts_bp.get("/<int:count_id>/progress")
def progress(count_id: int):
    count = _count_or_404(count_id)
    if count.status_enum != CountStatus.GENERATING:
        response = make_response("", 200)
        response.headers["HX-Refresh"] = "true"  # the sheet is ready: show the whole page
        return response
    return render_template("parts/counts/_progress.html", count=count)


@counts_bp.get("/<int:count_id>/sheet")
def sheet(count_id: int):
    count = _count_or_404(count_id)
    return render_sheet(count, _show(), _page())


@counts_bp.get("/<int:count_id>/pick")
def pick(count_id: int):
    """The entry panel for a picked line, or for a scanned / typed part number."""
    count = _count_or_404(count_id)
    try:
        line = counts.find_line(count.id, current_store().id, line_id=_int(request.args.get("line_id")),
                                part_number=request.args.get("part_number"))
    except DomainError as refused:
        return toast(make_response(render_entry(count, None, error=refused.message,
                                                typed={"part_number": request.args.get("part_number", "")}), 422),
                     refused.message)
    return render_entry(count, line)


@counts_bp.post("/<int:count_id>/enter")
def enter(count_id: int):
    store = current_store()
    form = CountEntryForm()
    line_id = form.line
    try:
        form.check()
        line = counts.enter_count(count_id, store_id=store.id, actor_id=current_user.id,
                                  quantity=form.quantity.data, line_id=line_id,
                                  part_number=None if line_id else form.part_number.data, stage=form.stage.data)
    except DomainError as refused:
        db.session.rollback()
        if not _is_htmx():
            flash(str(refused.message), "error")
            return redirect(url_for("counts.count", count_id=count_id))
        count = _count_or_404(count_id)
        line = None
        if line_id:
            try:
                line = counts.find_line(count.id, store.id, line_id=line_id)
            except DomainError:
                line = None
        body = render_entry(count, line, error=refused.message, typed={"quantity": form.quantity.data or ""})
        return toast(make_response(body, _refusal_status(refused)), refused.message)
    done = {"number": line.part.number, "bin": line.bin_code, "flagged": line.needs_second
            and line.second_quantity is None, "stage": form.stage.data}
    seq, stage = line.seq, "second" if form.stage.data == "second" else "first"
    db.session.commit()
    if not _is_htmx():
        flash(_("Counted: %(number)s.", number=done["number"]), "success")
        return redirect(url_for("counts.count", count_id=count_id))
    count = _count_or_404(count_id)
    following = counts.next_line(count.id, seq, stage) if count.status_enum == CountStatus.COUNTING else None
    response = make_response(render_entry(count, following, done=done))
    # after the settle: the sheet refreshes once the next entry panel is in place, so a part number
    # typed straight away goes into the new panel's field, not the old one about to be replaced
    add_trigger(response, ENTERED, {"line": line_id}, header="HX-Trigger-After-Settle")
    return response


def _count_action(count_id: int, action, success: str, target: str = "counts.count"):
    ok = run_action(action, success)
    return redirect(url_for(target if ok else "counts.count", count_id=count_id))


@counts_bp.post("/<int:count_id>/review")
def review(count_id: int):
    store = current_store()
    form = VersionForm()
    ok = run_action(lambda: counts.submit_for_review(count_id, store_id=store.id, actor_id=current_user.id,
                                                     expected_version=form.version.data),
                    _("Counting finished: explain each variance, then approve."))
    return redirect(url_for("counts.report" if ok else "counts.count", count_id=count_id))


@counts_bp.post("/<int:count_id>/reopen")
def reopen(count_id: int):
    store = current_store()
    form = VersionForm()
    return _count_action(count_id, lambda: counts.reopen_counting(
        count_id, store_id=store.id, actor_id=current_user.id, expected_version=form.version.data),
        _("Back to counting."))


@counts_bp.post("/<int:count_id>/cancel")
def cancel(count_id: int):
    store = current_store()
    form = VersionForm()
    ok = run_action(lambda: counts.cancel_count(count_id, store_id=store.id, actor_id=current_user.id,
                                                expected_version=form.version.data),
                    _("Count cancelled."))
    return redirect(url_for("counts.index") if ok else url_for("counts.count", count_id=count_id))


# ------------------------------------------------------------------ the variance report

@counts_bp.get("/<int:count_id>/report")
def report(count_id: int):
    count = _count_or_404(count_id)
    try:
        data = counts.variance_report(count.id, current_store().id)
    except counts.ReportClosed as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("counts.count", count_id=count.id))
    editable = count.status_enum == CountStatus.REVIEW
    return render_template("parts/counts/report.html", count=count, report=data, editable=editable,
                           people=counts.store_people(current_store().id) if editable else [],
                           may_approve=authority.may_approve(current_user) and count.created_by_id != current_user.id,
                           may_sign_finance=current_user.has_role(counts.FINANCE_ROLE))


@counts_bp.post("/<int:count_id>/lines/<int:line_id>/explain")
def explain(count_id: int, line_id: int):
    store = current_store()
    form = ExplainForm()
    try:
        counts.check_report_open(_count_or_404(count_id))
    except counts.ReportClosed as refused:  # the answer carries no figure: the recount stays blind
        if not _is_htmx():
            flash(str(refused.message), "error")
            return redirect(url_for("counts.count", count_id=count_id))
        return toast(make_response("", 422), refused.message)
    error = None
    try:
        form.check()
        counts.explain_variance(count_id, line_id, store_id=store.id, reason=form.reason.data,
                                responsible_id=form.responsible)
    except DomainError as refused:
        db.session.rollback()
        error = refused
    else:
        db.session.commit()
    if not _is_htmx():
        if error:
            flash(str(error.message), "error")
        return redirect(url_for("counts.report", count_id=count_id))
    count = _count_or_404(count_id)
    line = counts.find_line(count.id, store.id, line_id=line_id)
    html = render_template("parts/counts/_variance_row.html", count=count, line=line, editable=True,
                           people=counts.store_people(store.id), error=error.message if error else None,
                           typed=form.typed() if error else {}, saved=error is None)
    if error is None:  # the totals above the table ("n without reason") follow the saved row
        # (in a <template>: next to a table row, a bare <div> would not survive htmx's parsing)
        html += "<template>" + render_template("parts/counts/_report_stats.html", oob=True,
                                               report=counts.variance_report(count.id, store.id)) + "</template>"
    response = make_response(html, _refusal_status(error) if error else 200)
    return toast(response, error.message) if error else toast(response, _("Saved."), "success")


@counts_bp.post("/<int:count_id>/finance")
def finance(count_id: int):
    store = current_store()
    form = VersionForm()
    run_action(lambda: counts.finance_sign_off(count_id, store_id=store.id, actor_id=current_user.id,
                                               expected_version=form.version.data),
               _("Finance's sign-off recorded."))
    return redirect(url_for("counts.report", count_id=count_id))


@counts_bp.post("/<int:count_id>/approve")
def approve(count_id: int):
    store = current_store()
    form = VersionForm()
    run_action(lambda: counts.approve_count(count_id, store_id=store.id, actor_id=current_user.id,
                                            expected_version=form.version.data),
               _("Count approved: the variances are posted to the stock."))
    return redirect(url_for("counts.report", count_id=count_id))
