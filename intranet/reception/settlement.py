"""Settlement and delivery: the final bill from the lines done, payments per payer, the delivery
checklist. A car is handed back only when the customer's share is paid, every finding is
answered and the checklist is complete."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intranet import clock
from intranet.core import hooks
from intranet.core.billing import Totals, money, totals
from intranet.core.models import InsurerPayment, PayType, RepairOrder, ROStatus
from intranet.core.services import claim, get_store, transition_repair_order
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.reception.models import Delivery, Finding, FindingStatus, OldParts, Payment, PaymentMethod
from intranet.reception.services import get_repair_order

# Who may pay by which means: the customer with money, the others by claim or account.
METHODS_FOR = {
    PayType.CUSTOMER: {PaymentMethod.CASH, PaymentMethod.WECHAT, PaymentMethod.ALIPAY, PaymentMethod.CARD,
                       PaymentMethod.TRANSFER},
    PayType.INSURANCE: {PaymentMethod.INSURER, PaymentMethod.TRANSFER},
    PayType.WARRANTY: {PaymentMethod.MANUFACTURER},
    PayType.INTERNAL: {PaymentMethod.INTERNAL},
}


@dataclass
class Settlement:
    totals: Totals
    paid: dict[PayType, Decimal] = field(default_factory=dict)

    def due(self, payer: PayType) -> Decimal:
        share = self.totals.by_payer.get(payer)
        return (share.gross if share else Decimal("0.00")) - self.paid.get(payer, Decimal("0.00"))

    @property
    def customer_due(self) -> Decimal:
        return self.due(PayType.CUSTOMER)

    @property
    def anything_due(self) -> bool:
        return any(self.due(payer) > 0 for payer in self.payers)

    @property
    def payers(self) -> list[PayType]:
        return [p for p in PayType if p in self.totals.by_payer or p in self.paid]


def settlement(ro: RepairOrder) -> Settlement:
    paid = dict(db.session.execute(
        select(Payment.payer, func.sum(Payment.amount)).where(Payment.repair_order_id == ro.id)
        .group_by(Payment.payer)).all())
    return Settlement(totals(ro.lines, get_store(ro.store_id).tax_rate),
                      {PayType(k): money(v) for k, v in paid.items()})


def payments_of(ro_id: int) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.repair_order_id == ro_id).order_by(Payment.id)))


def record_payment(ro_id: int, *, store_id: int, actor_id: int, payer: str, method: str, amount,
                   reference: str | None = None, token: str | None = None) -> Payment:
    """Money received from `payer`, at most what is still due from it. The same `token` twice (a
    double-tapped "record") returns the first payment; two different payments at once are taken one
    after the other (the repair order's row is locked), so the second sees what the first paid."""
    token = (token or "").strip()[:36] or None
    claim(RepairOrder, ro_id)  # another payment being recorded on it finishes first; this one reads what it left
    ro = get_repair_order(ro_id, store_id)
    if token:
        earlier = _payment_by_token(token)
        if earlier is not None:
            return earlier
    if ro.status_enum in (ROStatus.CLOSED, ROStatus.CANCELLED):
        raise DomainError(_l("Repair order %(number)s is %(status)s.", number=ro.number, status=ro.status_enum.label))
    payer, method = PayType(payer), PaymentMethod(method)
    if method not in METHODS_FOR[payer]:
        raise DomainError(_l("%(payer)s does not pay by %(method)s.", payer=payer.label, method=method.label),
                          field="method")
    try:
        amount = money(amount)
    except Exception:  # noqa: BLE001 - anything that is not a number
        raise DomainError(_l("Enter a number."), field="amount") from None
    if amount <= 0:
        raise DomainError(_l("The amount must be more than zero."), field="amount")
    due = settlement(ro).due(payer)
    if amount > due:
        raise DomainError(_l("Only %(due)s is due from %(payer)s.", due=f"¥{due:,.2f}", payer=payer.label),
                          field="amount")
    payment = Payment(store_id=store_id, repair_order_id=ro.id, payer=payer, method=method, amount=amount,
                      reference=(reference or "").strip() or None, received_by_id=actor_id,
                      received_at=clock.utcnow(), token=token)
    try:
        with db.session.begin_nested():
            db.session.add(payment)
            db.session.flush()
    except IntegrityError:  # the same form arrived twice at once: the first one recorded the payment
        earlier = _payment_by_token(token) if token else None
        if earlier is None:
            raise
        return earlier
    return payment


def _payment_by_token(token: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.token == token))


def deliver(ro_id: int, *, store_id: int, actor_id: int, work_explained: bool, old_parts: str, car_clean: bool,
            keys_returned: bool, note: str | None = None) -> Delivery:
    ro = get_repair_order(ro_id, store_id)
    if ro.status_enum != ROStatus.READY:
        raise Conflict(_l("Only a car that is ready can be handed back; %(number)s is %(status)s.",
                          number=ro.number, status=ro.status_enum.label))
    waiting = db.session.scalar(select(func.count()).select_from(Finding).where(
        Finding.repair_order_id == ro.id, Finding.status == FindingStatus.WAITING))
    if waiting:
        raise DomainError(_l("%(n)d finding(s) still wait for the customer's answer.", n=waiting))
    bill = settlement(ro)
    if bill.customer_due > 0:
        raise DomainError(_l("The customer still owes %(due)s. Record the payment first.",
                             due=f"¥{bill.customer_due:,.2f}"), field="payment")
    try:
        old_parts = OldParts(old_parts)
    except ValueError:
        raise DomainError(_l("Say what happened to the old parts."), field="old_parts") from None
    missing = [label for done, label in ((work_explained, _l("work explained")), (car_clean, _l("car clean")),
                                         (keys_returned, _l("keys returned"))) if not done]
    if missing:
        raise DomainError(_l("Delivery checklist not complete: %(missing)s.",
                             missing=", ".join(str(m) for m in missing)), field="checklist")
    delivery = Delivery(repair_order_id=ro.id, work_explained=True, old_parts=old_parts, car_clean=True,
                        keys_returned=True, note=(note or "").strip() or None, delivered_by_id=actor_id,
                        delivered_at=clock.utcnow())
    db.session.add(delivery)
    transition_repair_order(ro.id, ROStatus.DELIVERED, actor_id=actor_id, note=delivery.note)
    delivery.delivered_at = ro.delivered_at  # one moment for both
    # the keys go home (their tags are free again); the customer file records the visit and the first
    # follow-up call is made
    hooks.repair_order_delivered.send(store_id=store_id, repair_order_id=ro.id, actor_id=actor_id)
    if bill.due(PayType.INSURANCE) > 0 and ro.insurer_payment == InsurerPayment.NONE:
        ro.insurer_payment = InsurerPayment.PENDING  # the insurer's share is now to be collected
    db.session.flush()
    bump(store_id, "today", "workshop")
    return delivery


def delivery_of(ro_id: int) -> Delivery | None:
    return db.session.scalar(select(Delivery).where(Delivery.repair_order_id == ro_id))
