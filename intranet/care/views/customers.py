"""Customer files for care: find a customer (by name, mobile or plate, or what is due), bring
existing customers in from a file with a row-by-row report, take them out again."""
from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from intranet import clock
from intranet.auth import access
from intranet.auth.access import guard
from intranet.care import customer_file, imports
from intranet.care.forms import CustomerImportForm
from intranet.care.views.common import page_arg
from intranet.core.models import Role
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web import current_store, is_htmx_request

bp = guard(Blueprint("customer_files", __name__, url_prefix="/care/customers"),
           Role.CARE, Role.DIRECTOR, Role.ADVISOR, Role.MANAGER)
BLUEPRINTS = [bp]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 25


@bp.app_context_processor
def _file_links():
    def file_link(link) -> str | None:
        """The URL of a history entry's page, when that page exists and the reader may open it."""
        if not link:
            return None
        endpoint, values = link
        if endpoint not in current_app.view_functions or not access.can_open(current_user, endpoint):
            return None
        try:
            return url_for(endpoint, **values)
        except BuildError:
            return None

    return {"file_link": file_link}


@bp.get("/", endpoint="index")
def customer_list():
    store = current_store()
    today = clock.store_today(store.timezone)
    query = request.args.get("q", "").strip()[:40]
    chosen = request.args.get("f", "")
    chosen = chosen if chosen in customer_file.FILTERS else ""
    page = page_arg()
    customers, more = customer_file.find_customers(store.id, today=today, query=query, filter_name=chosen,
                                                   page=page, per_page=PER_PAGE)
    context = {"customers": customers, "more": more, "page": page, "query": query, "chosen": chosen,
               "today": today, "completeness": customer_file.completeness, "soon": customer_file.SOON_DAYS}
    if is_htmx_request():
        return render_template("care/files/_results.html", **context)
    return render_template("care/files/index.html", filters=customer_file.FILTERS,
                           counts=customer_file.filter_counts(store.id, today), **context)


@bp.route("/import", methods=["GET", "POST"], endpoint="import_file")
def import_file():
    store = current_store()
    form = CustomerImportForm()
    report = error = None
    if request.method == "POST":
        try:
            form.check()
            table = imports.read_table(form.file.data)
            report = imports.import_customers(table, store_id=store.id)
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
    return render_template("care/files/import.html", report=report, error=error,
                           columns=imports.COLUMNS), 422 if error else 200


def _download(body: bytes, fmt: str, name: str):
    response = make_response(body)
    response.headers["Content-Type"] = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename={name}.{fmt}"
    return response


@bp.get("/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    store = current_store()
    day = clock.store_today(store.timezone)
    body = imports.export_xlsx(store.id) if fmt == "xlsx" else imports.export_csv(store.id)
    return _download(body, fmt, f"customers-{store.code}-{day:%Y%m%d}")


@bp.get("/template.<any(csv, xlsx):fmt>")
def template(fmt: str):
    return _download(imports.template_xlsx() if fmt == "xlsx" else imports.template_csv(), fmt,
                     "customer-import-template")
