"""Red flags (疑点): what an inspector or an auditor looks for, computed from the records
(INSPECTION.md, "What auditors look for"). Pure functions over plain records, so that
every rule is tested on both sides of its threshold and on generated ledgers; the reads
are in :mod:`funds.inspection.selectors`.

Each rule yields :class:`RedFlag` rows: its code, the township, a subject that names the
flag among the township's flags of the rule (an expenditure, a payee's run of payments,
an invoice, a finding), the items behind it, the figure that tripped it, and a
fingerprint of the items: an inspector's closing holds while the fingerprint does.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import get_language, gettext, gettext_lazy

from funds.models import NOT_SPENT
from funds.workdays import time_share
from wanyuan.money import format_percent, format_yuan, rate

ZERO = Decimal("0.00")

@functools.lru_cache(maxsize=256)
def _pattern(message: str, language: str) -> str:
    return gettext(message)


def _(message: str) -> str:
    """gettext, once per message and language: a year of a province's flags formats tens
    of thousands of figures (makemessages reads these calls as any other ``_``)."""
    return _pattern(message, get_language() or "")


#: The rules, in the order a page lists them: code → (name, the rule in words).
RULES = {
    "SPLIT": (gettext_lazy("Splitting (化整为零)"),
              gettext_lazy("Two or more payments of a township to one payee within "
                           "%(split_days)s days, each under the large-spending threshold "
                           "of %(threshold)s, together at or over it.")),
    "YEAR_END": (gettext_lazy("Year-end rush (年底突击)"),
                 gettext_lazy("December spending over %(year_end)s of the township's "
                              "allocation.")),
    "PROHIBITED": (gettext_lazy("Prohibited items (八项规定)"),
                   gettext_lazy("A purpose, payee or category holding a prohibited word "
                                "(%(words)s), or a meal over %(meal_cap)s.")),
    "ALLOWANCE": (gettext_lazy("Allowances (津补贴)"),
                  gettext_lazy("An allowance, fee, bonus or condolence payment (%(allowance)s) "
                               "paid to a person out of party-building money.")),
    "NO_INVOICE": (gettext_lazy("No invoice (白条)"),
                   gettext_lazy("Reimbursed without an invoice whose number is recorded.")),
    "DUPLICATE_INVOICE": (gettext_lazy("Duplicate invoice"),
                          gettext_lazy("One invoice on two or more expenditures that are not "
                                       "voided (an administrator's override stays flagged).")),
    "NO_DECISION": (gettext_lazy("No collective decision"),
                    gettext_lazy("At or over %(threshold)s without a collective decision "
                                 "dated on or before the payment.")),
    "OVER_BUDGET": (gettext_lazy("Over budget"),
                    gettext_lazy("Approved and reimbursed spending above the township's "
                                 "allocation.")),
    "IDLE": (gettext_lazy("Idle money (资金滞留)"),
             gettext_lazy("After 30 September, execution more than %(idle_points)s points "
                          "behind the share of the year elapsed; or money of two years "
                          "back still unspent.")),
    "HOLIDAY": (gettext_lazy("Meals and trips on days off"),
                gettext_lazy("A meal or a trip dated on a day that is not a working day.")),
    "SLOW": (gettext_lazy("Slow approval (久拖未批)"),
             gettext_lazy("Submitted and undecided for more than %(slow_days)s working "
                          "days.")),
    "OVERDUE_FINDING": (gettext_lazy("Overdue finding"),
                        gettext_lazy("An inspection finding open past its rectification "
                                     "deadline.")),
}

#: A payee that ends in one of these is an organization, not a person.
ORGANIZATION_ENDINGS = ("公司", "店", "厂", "部", "社", "中心", "委", "局", "院", "馆",
                        "所", "站", "村", "镇", "乡", "行", "超市", "酒店", "宾馆", "学校",
                        "校", "办", "处", "室", "会", "队", "团", "场", "园", "医院", "集团")
_PERSON = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
_PEOPLE = re.compile(r"等\s*\d+\s*[人名]$|^[\u4e00-\u9fff]{2,4}(?:[，,、][\u4e00-\u9fff]{2,4})+$")


def looks_like_person(payee: str) -> bool:
    """A payee that reads as one or more people's names (张三; 李四等5人; 王五、赵六)
    rather than an organization."""
    payee = (payee or "").strip()
    if not payee or payee.endswith(ORGANIZATION_ENDINGS):
        return False
    return bool(_PERSON.match(payee) or _PEOPLE.search(payee))


def words(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@dataclass(frozen=True)
class Rules:
    """A year's thresholds (FundYear's flag_* fields and its large-spending threshold)."""

    threshold: Decimal
    split_days: int = 30
    year_end_percent: Decimal = Decimal("30")
    prohibited: tuple[str, ...] = ("宴请", "烟", "酒", "礼品", "购物卡", "旅游", "景区")
    meal: tuple[str, ...] = ("餐费", "伙食", "工作餐", "用餐")
    meal_cap: Decimal = Decimal("1000.00")
    trip: tuple[str, ...] = ("考察", "参观", "住宿", "差旅")
    allowance: tuple[str, ...] = ("补贴", "劳务", "奖金", "慰问金")
    idle_points: Decimal = Decimal("20")
    slow_workdays: int = 10

    @classmethod
    def of(cls, fund_year) -> Rules:
        return cls(
            threshold=fund_year.large_spending_threshold,
            split_days=fund_year.flag_split_days,
            year_end_percent=fund_year.flag_year_end_percent,
            prohibited=tuple(words(fund_year.flag_prohibited_words)),
            meal=tuple(words(fund_year.flag_meal_words)), meal_cap=fund_year.flag_meal_cap,
            trip=tuple(words(fund_year.flag_trip_words)),
            allowance=tuple(words(fund_year.flag_allowance_words)),
            idle_points=fund_year.flag_idle_points, slow_workdays=fund_year.flag_slow_workdays)

    def words_of(self) -> dict[str, str]:
        """The values the rules' words are filled with."""
        return {"split_days": self.split_days, "threshold": format_yuan(self.threshold),
                "year_end": f"{self.year_end_percent.normalize():f}%",
                "words": "、".join(self.prohibited), "meal_cap": format_yuan(self.meal_cap),
                "allowance": "、".join(self.allowance),
                "idle_points": f"{self.idle_points.normalize():f}",
                "slow_days": self.slow_workdays}


@dataclass(frozen=True)
class Spending:
    """One expenditure as the rules read it."""

    id: int
    township_id: int
    date: datetime.date
    amount: Decimal
    category: str
    purpose: str
    payee: str
    status: str
    decision_date: datetime.date | None = None
    paid_on: datetime.date | None = None  # reimbursed, else approved on
    invoice_keys: tuple[str, ...] = ()
    submitted_on: datetime.date | None = None  # the last submission, when waiting

    @property
    def is_spent(self) -> bool:
        return self.status in ("approved", "reimbursed")

    @property
    def text(self) -> str:
        return f"{self.purpose} {self.payee} {self.category}"

    def state(self) -> str:
        return (f"{self.id}|{self.date}|{self.amount}|{self.status}|{self.payee}|"
                f"{self.purpose}|{self.category}|{self.decision_date}|{self.paid_on}|"
                f"{','.join(sorted(self.invoice_keys))}")


@dataclass(frozen=True)
class OpenFinding:
    id: int
    township_id: int
    description: str
    deadline: datetime.date


@dataclass(frozen=True)
class TownshipMoney:
    township_id: int
    allocation: Decimal
    spent: Decimal  # approved and reimbursed
    reimbursed: Decimal


@dataclass
class RedFlag:
    rule: str
    township_id: int
    subject: str
    figure: str
    items: list[Spending] = field(default_factory=list)
    findings: list[OpenFinding] = field(default_factory=list)
    # the figures behind the flag that are not its items' (an allocation, a remainder, the
    # day of a submission): a change in them is a change in the flag
    basis: tuple[str, ...] = ()
    review: object = None  # the RedFlagReview that closes it, when its items are unchanged
    latest_review: object = None  # the last closing, even if the flag opened again since
    elsewhere: int = 0  # items of other townships left out of ``items`` for a clerk

    @property
    def name(self) -> str:
        return str(RULES[self.rule][0])

    @property
    def fingerprint(self) -> str:
        # a duplicate's items from other townships or years are read with less detail:
        # what makes it a duplicate (which expenditure, its amount and state) is its state
        items = (sorted(f"{i.id}|{i.amount}|{i.status}" for i in self.items)
                 if self.rule == "DUPLICATE_INVOICE" else sorted(i.state() for i in self.items))
        state = "\n".join([self.rule, self.subject, *items,
                           *sorted(f"{f.id}|{f.deadline}" for f in self.findings),
                           *self.basis])
        return hashlib.sha256(state.encode()).hexdigest()

    @property
    def is_closed(self) -> bool:
        return self.review is not None

    @property
    def reopened(self) -> bool:
        return self.review is None and self.latest_review is not None

    @property
    def amount(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)

    def seen_by_township(self) -> RedFlag:
        """The flag as its township's clerk is shown it: another township's items (a
        duplicate invoice's) are counted, not named. The closing state is kept; the
        fingerprint is the whole flag's, for those who may close it."""
        own = [i for i in self.items if i.township_id == self.township_id]
        if len(own) == len(self.items):
            return self
        seen = dataclasses.replace(self, items=own)
        seen.elsewhere = len(self.items) - len(own)
        return seen


def _matched(text: str, terms) -> str | None:
    return next((term for term in terms if term and term in text), None)


# --- The rules ----------------------------------------------------------------------------


def split(spendings, rules: Rules):
    """Runs of payments to one payee within the window, each under the threshold,
    together at or over it; a run is as long as the window allows, and the next starts
    after it."""
    by_payee = defaultdict(list)
    for s in spendings:
        if s.amount < rules.threshold and s.payee.strip():
            by_payee[(s.township_id, s.payee.strip())].append(s)
    window = datetime.timedelta(days=rules.split_days - 1)
    for (township_id, payee), items in by_payee.items():
        items.sort(key=lambda s: (s.date, s.id))
        start = 0
        while start < len(items) - 1:
            end = start
            while end + 1 < len(items) and items[end + 1].date - items[start].date <= window:
                end += 1
            run = items[start:end + 1]
            total = sum((s.amount for s in run), ZERO)
            if len(run) >= 2 and total >= rules.threshold:
                yield RedFlag("SPLIT", township_id, f"{payee}|{run[0].date}", _(
                    "%(n)s payments to %(payee)s from %(first)s to %(last)s: %(total)s, "
                    "threshold %(threshold)s") % {
                    "n": len(run), "payee": payee, "first": f"{run[0].date:%Y-%m-%d}",
                    "last": f"{run[-1].date:%Y-%m-%d}", "total": format_yuan(total),
                    "threshold": format_yuan(rules.threshold)}, items=run)
                start = end + 1
            else:
                start += 1


def year_end(spendings, money: dict[int, TownshipMoney], year: int, rules: Rules):
    december = defaultdict(list)
    for s in spendings:
        if s.is_spent and s.date.year == year and s.date.month == 12:
            december[s.township_id].append(s)
    for township_id, items in december.items():
        allocation = money[township_id].allocation if township_id in money else ZERO
        total = sum((s.amount for s in items), ZERO)
        share = rate(total, allocation)
        if allocation <= 0 or total * 100 > allocation * rules.year_end_percent:
            yield RedFlag("YEAR_END", township_id, "december", _(
                "December: %(total)s, %(share)s of the allocation %(allocation)s") % {
                "total": format_yuan(total), "allocation": format_yuan(allocation),
                "share": format_percent(share) if share is not None else "—"}, items=items,
                basis=(f"allocation={allocation}",))


#: Words that hold a prohibited word without meaning it: a hotel (酒店) is lodging, not
#: alcohol (酒). They are taken out of a text before the prohibited words are looked for.
NOT_THE_WORD = ("酒店",)


def prohibited(spendings, rules: Rules):
    for s in spendings:
        text = s.text
        for compound in NOT_THE_WORD:
            text = text.replace(compound, "")
        word = _matched(text, rules.prohibited)
        if word is not None:
            yield RedFlag("PROHIBITED", s.township_id, str(s.id),
                          _("“%(word)s” in “%(text)s”") % {"word": word,
                                                          "text": s.text.strip()}, items=[s])
            continue
        meal = _matched(s.text, rules.meal)
        if meal is not None and s.amount > rules.meal_cap:
            yield RedFlag("PROHIBITED", s.township_id, str(s.id), _(
                "A meal (“%(word)s”) of %(amount)s, over the cap of %(cap)s") % {
                "word": meal, "amount": format_yuan(s.amount),
                "cap": format_yuan(rules.meal_cap)}, items=[s])


def allowance(spendings, rules: Rules):
    for s in spendings:
        word = _matched(f"{s.purpose} {s.category}", rules.allowance)
        if word is not None and looks_like_person(s.payee):
            yield RedFlag("ALLOWANCE", s.township_id, str(s.id), _(
                "“%(word)s” paid to %(payee)s: %(amount)s") % {
                "word": word, "payee": s.payee, "amount": format_yuan(s.amount)}, items=[s])


def no_invoice(spendings):
    missing = defaultdict(list)
    for s in spendings:
        if s.status == "reimbursed" and not s.invoice_keys:
            missing[s.township_id].append(s)
    for township_id, items in missing.items():
        yield RedFlag("NO_INVOICE", township_id, "reimbursed", _(
            "%(n)s reimbursed without an invoice: %(total)s") % {
            "n": len(items), "total": format_yuan(sum((s.amount for s in items), ZERO))},
            items=items)


def duplicate_invoice(spendings, used_elsewhere: dict[str, list[Spending]] | None = None):
    """An invoice key on two or more non-voided expenditures: this year's, and those of
    other years that ``used_elsewhere`` names."""
    holders = defaultdict(dict)
    for s in spendings:
        for key in s.invoice_keys:
            holders[key][s.id] = s
    for key, others in (used_elsewhere or {}).items():
        for s in others:
            holders[key].setdefault(s.id, s)
    ours = {s.id for s in spendings}
    for key, by_id in holders.items():
        if len(by_id) < 2:
            continue
        items = sorted(by_id.values(), key=lambda s: s.id)
        for township_id in sorted({s.township_id for s in items if s.id in ours}):
            # the items, not the figure, say which: a clerk is shown the own ones only
            yield RedFlag("DUPLICATE_INVOICE", township_id, key, _(
                "Invoice %(key)s on %(n)s expenditures") % {"key": key, "n": len(items)},
                items=items)


def no_decision(spendings, rules: Rules):
    for s in spendings:
        if not s.is_spent or s.amount < rules.threshold:
            continue
        paid = s.paid_on or s.date
        if s.decision_date is None or s.decision_date > paid:
            figure = (_("%(amount)s, no collective decision") if s.decision_date is None
                      else _("%(amount)s, decided on %(decided)s after the payment on "
                             "%(paid)s"))
            yield RedFlag("NO_DECISION", s.township_id, str(s.id), figure % {
                "amount": format_yuan(s.amount), "paid": f"{paid:%Y-%m-%d}",
                "decided": f"{s.decision_date:%Y-%m-%d}" if s.decision_date else ""},
                items=[s])


def over_budget(spendings, money: dict[int, TownshipMoney]):
    spent = defaultdict(list)
    for s in spendings:
        if s.is_spent:
            spent[s.township_id].append(s)
    for township_id, items in spent.items():
        budget = money.get(township_id)
        allocation = budget.allocation if budget else ZERO
        total = sum((s.amount for s in items), ZERO)
        if total > allocation:
            yield RedFlag("OVER_BUDGET", township_id, "township", _(
                "Spent %(total)s of an allocation of %(allocation)s: %(over)s over") % {
                "total": format_yuan(total), "allocation": format_yuan(allocation),
                "over": format_yuan(total - allocation)}, items=items,
                basis=(f"allocation={allocation}",))


def idle(money: dict[int, TownshipMoney], year: int, as_of: datetime.date, rules: Rules,
         carried: dict[int, Decimal] | None = None):
    """Execution (reimbursed ÷ allocation) more than the set points behind the share of
    the year elapsed, from 1 October; and, from ``carried``, money of two years back
    still unspent (its remainder)."""
    if as_of > datetime.date(year, 9, 30):
        share = time_share(year, as_of)
        for township_id, budget in money.items():
            if budget.allocation <= 0:
                continue
            execution = budget.reimbursed / budget.allocation
            if (share - execution) * 100 > rules.idle_points:
                yield RedFlag("IDLE", township_id, "progress", _(
                    "Execution %(execution)s against %(time)s of the year elapsed") % {
                    "execution": format_percent(rate(budget.reimbursed, budget.allocation)),
                    "time": format_percent(share.quantize(Decimal("0.0001")))},
                    basis=(f"allocation={budget.allocation}",
                           f"reimbursed={budget.reimbursed}"))
    for township_id, remainder in (carried or {}).items():
        if remainder > 0:
            yield RedFlag("IDLE", township_id, "carried", _(
                "%(amount)s of %(year)s still unspent") % {
                "amount": format_yuan(remainder), "year": year - 2},
                basis=(f"remainder={remainder}",))


def holiday(spendings, rules: Rules, calendar):
    for s in spendings:
        word = _matched(s.text, rules.meal) or _matched(s.text, rules.trip)
        if word is not None and not calendar.is_workday(s.date):
            yield RedFlag("HOLIDAY", s.township_id, str(s.id), _(
                "“%(word)s” on %(date)s, a day off") % {
                "word": word, "date": f"{s.date:%Y-%m-%d}"}, items=[s])


def slow(spendings, rules: Rules, calendar, today: datetime.date):
    for s in spendings:
        if s.status != "submitted" or s.submitted_on is None:
            continue
        waited = calendar.between(s.submitted_on, today)
        if waited > rules.slow_workdays:
            yield RedFlag("SLOW", s.township_id, str(s.id), _(
                "Waiting since %(date)s: %(days)s working days") % {
                "date": f"{s.submitted_on:%Y-%m-%d}", "days": waited}, items=[s],
                basis=(f"submitted={s.submitted_on}",))


def overdue_findings(findings, today: datetime.date):
    for f in findings:
        if f.deadline < today:
            yield RedFlag("OVERDUE_FINDING", f.township_id, str(f.id), _(
                "Due %(deadline)s, %(days)s days overdue: %(text)s") % {
                "deadline": f"{f.deadline:%Y-%m-%d}", "days": (today - f.deadline).days,
                "text": f.description[:60]}, findings=[f])


def red_flag_list(*, spendings, money, findings, year: int, rules: Rules, calendar,
                  today: datetime.date, used_elsewhere=None, carried=None) -> list[RedFlag]:
    """Every rule over one year's records; voided and rejected expenditures are not
    spending and take part in no rule."""
    spendings = [s for s in spendings if s.status not in NOT_SPENT]
    as_of = min(today, datetime.date(year, 12, 31))
    flags = [
        *split(spendings, rules), *year_end(spendings, money, year, rules),
        *prohibited(spendings, rules), *allowance(spendings, rules), *no_invoice(spendings),
        *duplicate_invoice(spendings, used_elsewhere), *no_decision(spendings, rules),
        *over_budget(spendings, money), *idle(money, year, as_of, rules, carried),
        *holiday(spendings, rules, calendar), *slow(spendings, rules, calendar, today),
        *overdue_findings(findings, today),
    ]
    order = {rule: i for i, rule in enumerate(RULES)}
    flags.sort(key=lambda f: (order[f.rule], f.township_id, f.subject))
    return flags
