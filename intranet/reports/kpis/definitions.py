"""The KPIs defined once: each with its name, the formula in words (shown wherever the number is
shown), its unit, which way is better, the documents' default target and what its drill-down
lists; their groups on the dashboard; a figure's `Value`."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from intranet.errors import DomainError


COUNT, MONEY_UNIT, PERCENT_UNIT, HOURS, SCORE = "count", "money", "percent", "hours", "score"
HIGHER, LOWER, NONE = "higher", "lower", "none"
TENTH = Decimal("0.1")
CENT = Decimal("0.01")
BREAKDOWNS = ("advisor", "technician", "team", "pay_type")


@dataclass(frozen=True)
class Kpi:
    key: str
    name: object
    formula: object
    unit: str  # "count" | "money" | "percent" | "hours" | "score"
    better: str  # "higher" | "lower" | "none"
    default_target: Decimal | None
    drill: str | None  # "repair_orders", "calls", "complaints", "appointments", "parts_requests", "rounds",
    # "actions", "jobs", "surveys"
    breakdowns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Value:
    kpi: Kpi
    value: Decimal | None  # None: no data
    numerator: Decimal | int | None
    denominator: Decimal | int | None
    target: Decimal | None
    exact: Decimal | None = None  # the value before it is rounded for showing; None: `value` is exact

    @property
    def has_data(self) -> bool:
        return self.value is not None

    @property
    def on_target(self) -> bool | None:
        """Judged on the unrounded value: a comeback rate of 2.04 % shows as 2.0 % and still misses
        a target of 2 %."""
        if self.value is None or self.target is None or self.kpi.better == NONE:
            return None
        value = self.exact if self.exact is not None else self.value
        return value >= self.target if self.kpi.better == HIGHER else value <= self.target

    def change(self, previous: Value) -> Decimal | None:
        if self.value is None or previous is None or previous.value is None:
            return None
        return self.value - previous.value


def _k(key, name, formula, unit, better, target, drill, breakdowns=()) -> Kpi:
    return Kpi(key, name, formula, unit, better, None if target is None else Decimal(target), drill,
               tuple(breakdowns))


_RO_BY = ("advisor",)
_KPI_LIST = [
    # ---- throughput
    _k("cars_in", _l("Cars in per day"),
       _l("cars checked in (repair orders opened, not cancelled) ÷ days of the period so far"),
       COUNT, HIGHER, "20", "repair_orders", _RO_BY),
    _k("cars_out", _l("Cars out per day"),
       _l("cars handed back (repair orders delivered, not cancelled) ÷ days of the period so far"),
       COUNT, HIGHER, "20", "repair_orders", _RO_BY),
    # ---- output value (产值)
    _k("output_value", _l("Output value"),
       _l("labour + parts (net of VAT, every payer) on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("output_labour", _l("Labour output"),
       _l("labour lines (hours × rate, net of VAT) on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "team", "pay_type")),
    _k("output_parts", _l("Parts output"),
       _l("part lines (quantity × price, net of VAT) on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("output_mechanical", _l("Mechanical output"),
       _l("labour lines of the mechanical team on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("output_body", _l("Body output"),
       _l("labour lines of the body team on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("output_paint", _l("Paint output"),
       _l("labour lines of the paint team on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("ticket_repair", _l("Average ticket (repair)"),
       _l("output value of the cars delivered in the period with no line paid by an insurer ÷ those cars"),
       MONEY_UNIT, HIGHER, "800", "repair_orders", _RO_BY),
    _k("ticket_insurance", _l("Average ticket (insurance)"),
       _l("output value of the cars delivered in the period with a line paid by an insurer ÷ those cars"),
       MONEY_UNIT, HIGHER, "1800", "repair_orders", _RO_BY),
    # ---- quality and time
    _k("one_time_fix", _l("One-time fix rate"),
       _l("cars delivered in the period whose first final inspection passed ÷ cars delivered in the period"),
       PERCENT_UNIT, HIGHER, None, "repair_orders", _RO_BY),
    _k("on_time", _l("On-time delivery rate"),
       _l("cars delivered in the period no later than the time promised ÷ cars delivered in the period with "
          "a promised time"),
       PERCENT_UNIT, HIGHER, None, "repair_orders", _RO_BY),
    _k("same_day", _l("Same-day delivery rate"),
       _l("cars in during the period and handed back the same day ÷ cars in during the period"),
       PERCENT_UNIT, HIGHER, None, "repair_orders", _RO_BY),
    _k("comeback_rate", _l("Comeback rate"),
       _l("repair orders opened in the period that redo an earlier visit's work ÷ repair orders opened in "
          "the period"),
       PERCENT_UNIT, LOWER, "2", "repair_orders", _RO_BY),
    _k("tech_efficiency", _l("Technician efficiency"),
       _l("hours sold on the jobs finished in the period ÷ hours the technicians clocked in the period"),
       PERCENT_UNIT, HIGHER, "100", "jobs", ("technician", "team")),
    # ---- customers
    _k("appointment_rate", _l("Appointment rate"),
       _l("cars in during the period that came with an appointment ÷ cars in during the period"),
       PERCENT_UNIT, HIGHER, None, "repair_orders", _RO_BY),
    _k("show_rate", _l("Appointment show rate"),
       _l("appointments of the period whose customer came ÷ appointments of the period that came or did not "
          "show (cancelled and still booked ones are not counted)"),
       PERCENT_UNIT, HIGHER, None, "appointments", _RO_BY),
    _k("reach_rate", _l("Follow-up reach rate"),
       _l("follow-up calls reached ÷ follow-up calls due in the period that are closed (reached + expired); "
          "a call is due in the period when its window opens in it; calls still to make and cancelled "
          "calls are not counted"),
       PERCENT_UNIT, HIGHER, None, "calls"),
    _k("complaint_rate", _l("Complaint rate"),
       _l("complaints received in the period (all, justified or not) ÷ cars delivered in the period"),
       PERCENT_UNIT, LOWER, None, "complaints"),
    _k("csi", _l("CSI"),
       _l("average of the manufacturer's survey scores with a survey date in the period = sum of the "
          "scores ÷ number of surveys"),
       SCORE, HIGHER, "93", "surveys", _RO_BY),
    # ---- parts
    _k("parts_fill_rate", _l("Parts fill rate"),
       _l("parts requests of the period served from stock at once ÷ parts requests of the period (not "
          "cancelled)"),
       PERCENT_UNIT, HIGHER, None, "parts_requests"),
    _k("parts_turnover", _l("Parts turnover"),
       _l("times a year: cost of the parts issued in the period, scaled to a year, ÷ average stock value "
          "((value at the start + value at the end) ÷ 2)"),
       COUNT, HIGHER, None, None),
    # ---- management
    _k("round_score", _l("Inspection round score"),
       _l("average score of the inspection rounds finished in the period (each round: weighted share of "
          "its items passed)"),
       PERCENT_UNIT, HIGHER, None, "rounds"),
    _k("open_actions", _l("Open actions"),
       _l("corrective actions opened and not yet closed by their owner at the end of the period (or now)"),
       COUNT, LOWER, None, "actions"),
    _k("overdue_actions", _l("Overdue actions"),
       _l("open corrective actions past their due time at the end of the period (or now)"),
       COUNT, LOWER, "0", "actions"),
]
KPIS: dict[str, Kpi] = {k.key: k for k in _KPI_LIST}

GROUPS: list[tuple[object, list[str]]] = [
    (_l("Throughput"), ["cars_in", "cars_out"]),
    (_l("Output value"), ["output_value", "output_labour", "output_parts", "output_mechanical", "output_body",
                          "output_paint", "ticket_repair", "ticket_insurance"]),
    (_l("Quality and time"), ["one_time_fix", "on_time", "same_day", "comeback_rate", "tech_efficiency"]),
    (_l("Customers"), ["appointment_rate", "show_rate", "reach_rate", "complaint_rate", "csi"]),
    (_l("Parts"), ["parts_fill_rate", "parts_turnover"]),
    (_l("Inspection rounds and actions"), ["round_score", "open_actions", "overdue_actions"]),
]

_TEAM_KPIS = {"output_mechanical": "mechanical", "output_body": "body", "output_paint": "paint"}
_RO_KPIS = {"cars_in", "cars_out", "output_value", "output_labour", "output_parts", *_TEAM_KPIS, "ticket_repair",
            "ticket_insurance", "one_time_fix", "on_time", "same_day", "comeback_rate", "appointment_rate"}
_LINE_KPIS = {"output_value", "output_labour", "output_parts", *_TEAM_KPIS, "ticket_repair", "ticket_insurance"}


def kpi(key: str) -> Kpi:
    try:
        return KPIS[key]
    except KeyError:
        raise DomainError(_l("No such figure."), field="key") from None
