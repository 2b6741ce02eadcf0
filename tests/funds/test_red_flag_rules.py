"""Each red-flag rule on both sides of its threshold, on plain records; and, with
hypothesis, no rule raises on any generated ledger."""

import datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from funds.inspection import flags as f
from funds.inspection.flags import OpenFinding, Rules, Spending, TownshipMoney
from funds.workdays import WorkingCalendar, time_share

D = datetime.date
RULES = Rules(threshold=Decimal("10000.00"))
CAL = WorkingCalendar({})


MAY_11 = D(2020, 5, 11)


def spend(id=1, township=1, date=MAY_11, amount="100.00", payee="万源市新华书店",
          purpose="党员教育培训资料", category="教育培训", status="reimbursed", **kw):
    kw.setdefault("invoice_keys", ("23442000000014209621",) if status == "reimbursed" else ())
    return Spending(id=id, township_id=township, date=date, amount=Decimal(amount),
                    category=category, purpose=purpose, payee=payee, status=status, **kw)


def money(allocation="200000.00", spent="0.00", reimbursed="0.00", township=1):
    return {township: TownshipMoney(township, Decimal(allocation), Decimal(spent),
                                    Decimal(reimbursed))}


def test_split_trips_at_the_threshold_within_the_window_only():
    at = [spend(1, amount="5000.00", date=D(2020, 5, 1)),
          spend(2, amount="5000.00", date=D(2020, 5, 30))]        # 30 days inclusive
    assert [x.rule for x in f.split(at, RULES)] == ["SPLIT"]
    flag = next(f.split(at, RULES))
    assert [i.id for i in flag.items] == [1, 2] and "10,000.00" in flag.figure
    below = [spend(1, amount="5000.00"), spend(2, amount="4999.99")]
    assert list(f.split(below, RULES)) == []
    apart = [spend(1, amount="5000.00", date=D(2020, 5, 1)),
             spend(2, amount="5000.00", date=D(2020, 5, 31))]      # the 31st day
    assert list(f.split(apart, RULES)) == []
    other_payee = [spend(1, amount="5000.00"), spend(2, amount="5000.00", payee="党校")]
    assert list(f.split(other_payee, RULES)) == []
    large = [spend(1, amount="10000.00"), spend(2, amount="5000.00")]  # one is large itself
    assert list(f.split(large, RULES)) == []


def test_year_end_over_the_share_of_the_allocation():
    december = [spend(1, amount="60000.01", date=D(2020, 12, 3))]
    assert [x.rule for x in f.year_end(december, money(), 2020, RULES)] == ["YEAR_END"]
    at_share = [spend(1, amount="60000.00", date=D(2020, 12, 3))]  # exactly 30 %: not over
    assert list(f.year_end(at_share, money(), 2020, RULES)) == []
    november = [spend(1, amount="90000.00", date=D(2020, 11, 30))]
    assert list(f.year_end(november, money(), 2020, RULES)) == []
    waiting = [spend(1, amount="90000.00", date=D(2020, 12, 3), status="submitted")]
    assert list(f.year_end(waiting, money(), 2020, RULES)) == []


def test_prohibited_words_and_the_meal_cap():
    gift = list(f.prohibited([spend(purpose="购买礼品")], RULES))
    assert len(gift) == 1 and "礼品" in gift[0].figure
    assert list(f.prohibited([spend(payee="万源市某景区")], RULES))
    assert list(f.prohibited([spend(category="宴请")], RULES))
    assert list(f.prohibited([spend(purpose="党员培训资料")], RULES)) == []
    # a hotel (酒店) is not alcohol (酒); a banquet at one is still a banquet
    assert list(f.prohibited([spend(purpose="外出培训住宿", payee="万源市某酒店")], RULES)) == []
    assert list(f.prohibited([spend(purpose="购买白酒")], RULES))
    assert list(f.prohibited([spend(purpose="酒店宴请", payee="万源市某酒店")], RULES))
    assert list(f.prohibited([spend(purpose="培训工作餐", amount="1000.01")], RULES))
    assert list(f.prohibited([spend(purpose="培训工作餐", amount="1000.00")], RULES)) == []


def test_allowances_to_people_not_to_organizations():
    assert list(f.allowance([spend(purpose="讲课劳务费", payee="张三")], RULES))
    assert list(f.allowance([spend(purpose="慰问金", payee="李四等5人")], RULES))
    assert list(f.allowance([spend(purpose="慰问金", payee="王五、赵六")], RULES))
    assert list(f.allowance([spend(purpose="讲课劳务费", payee="万源市委党校")], RULES)) == []
    assert list(f.allowance([spend(purpose="党员培训", payee="张三")], RULES)) == []


def test_looks_like_person():
    assert f.looks_like_person("欧阳娜娜")
    assert not f.looks_like_person("新华书店")
    assert not f.looks_like_person("太平镇党委办")
    assert not f.looks_like_person("")


def test_no_invoice_counts_reimbursed_items_without_an_invoice_number():
    items = [spend(1, invoice_keys=()), spend(2, invoice_keys=()), spend(3),
             spend(4, status="approved", invoice_keys=())]
    flags = list(f.no_invoice(items))
    assert len(flags) == 1 and [i.id for i in flags[0].items] == [1, 2]
    assert list(f.no_invoice([spend(3)])) == []


def test_duplicate_invoice_within_the_year_and_across_years():
    one, two = spend(1, township=1), spend(2, township=2)
    flags = list(f.duplicate_invoice([one, two]))
    assert [(x.township_id, x.subject) for x in flags] == [
        (1, "23442000000014209621"), (2, "23442000000014209621")]
    assert list(f.duplicate_invoice([one])) == []
    earlier = spend(9, date=D(2019, 3, 1))
    assert list(f.duplicate_invoice([one], {"23442000000014209621": [earlier]}))


def test_no_decision_is_about_the_decision_date_against_the_payment():
    large = {"amount": "10000.00", "paid_on": D(2020, 6, 1)}
    assert list(f.no_decision([spend(**large)], RULES))
    assert list(f.no_decision([spend(decision_date=D(2020, 6, 2), **large)], RULES))
    assert list(f.no_decision([spend(decision_date=D(2020, 6, 1), **large)], RULES)) == []
    assert list(f.no_decision([spend(amount="9999.99", paid_on=D(2020, 6, 1))], RULES)) == []
    assert list(f.no_decision([spend(status="submitted", amount="20000.00")], RULES)) == []


def test_over_budget_above_the_allocation_only():
    items = [spend(1, amount="150000.00"), spend(2, amount="50000.00", status="approved")]
    assert list(f.over_budget(items, money())) == []
    items.append(spend(3, amount="0.01"))
    flags = list(f.over_budget(items, money()))
    assert len(flags) == 1 and "0.01" in flags[0].figure and len(flags[0].items) == 3


def test_idle_after_september_and_money_of_two_years_back():
    behind = money(reimbursed="80000.00")               # 40 % on 31 December: 60 points behind
    assert list(f.idle(behind, 2020, D(2020, 12, 31), RULES))
    assert list(f.idle(behind, 2020, D(2020, 9, 30), RULES)) == []       # not yet
    near = money(reimbursed="160000.00")                # 80 %: 20 points, not more
    assert list(f.idle(near, 2020, D(2020, 12, 31), RULES)) == []
    assert [x.subject for x in f.idle({}, 2020, D(2020, 5, 1), RULES, {1: Decimal("0.01")})] == [
        "carried"]
    assert list(f.idle({}, 2020, D(2020, 5, 1), RULES, {1: Decimal("0.00")})) == []


def test_time_share():
    assert time_share(2020, D(2019, 12, 31)) == 0
    assert time_share(2020, D(2020, 12, 31)) == 1
    assert time_share(2021, D(2021, 7, 2)) == Decimal(183) / Decimal(365)


def test_meals_and_trips_on_days_off():
    assert list(f.holiday([spend(purpose="工作餐", date=D(2020, 10, 1))], RULES, CAL))
    assert list(f.holiday([spend(purpose="考察学习", date=D(2020, 5, 16))], RULES, CAL))
    # 9 May 2020 was a Saturday worked (调休) after May Day
    assert list(f.holiday([spend(purpose="工作餐", date=D(2020, 5, 9))], RULES, CAL)) == []
    assert list(f.holiday([spend(purpose="党员培训", date=D(2020, 10, 1))], RULES, CAL)) == []


def test_slow_counts_working_days():
    waiting = spend(status="submitted", submitted_on=D(2020, 9, 25))
    # From Friday 25 September 2020: 27 (a Sunday worked), 28, 29, 30 September, then
    # 1–8 October off, 9, 10 (a Saturday worked), 12, 13, 14, 15 October: the tenth.
    assert CAL.add(D(2020, 9, 25), 10) == D(2020, 10, 15)
    assert list(f.slow([waiting], RULES, CAL, D(2020, 10, 15))) == []
    flags = list(f.slow([waiting], RULES, CAL, D(2020, 10, 16)))
    assert len(flags) == 1 and "11" in flags[0].figure


def test_overdue_findings():
    finding = OpenFinding(1, 1, "台账不全", D(2020, 6, 30))
    assert list(f.overdue_findings([finding], D(2020, 6, 30))) == []
    assert list(f.overdue_findings([finding], D(2020, 7, 1)))


def test_the_fingerprint_follows_the_items():
    a = next(f.no_invoice([spend(1, invoice_keys=())]))
    b = next(f.no_invoice([spend(1, invoice_keys=())]))
    c = next(f.no_invoice([spend(1, invoice_keys=(), amount="100.01")]))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_the_fingerprint_follows_the_figures_behind_a_flag():
    """A flag whose figure comes from more than its items opens again when that figure's
    records change: the allocation of a December or over-budget flag, the money behind an
    idle one, the remainder carried, the day a waiting item was submitted again. Time
    passing alone changes none of them."""
    def print_of(flags):
        (flag,) = list(flags)
        return flag.fingerprint

    december = [spend(1, amount="60000.01", date=D(2020, 12, 3))]
    assert (print_of(f.year_end(december, money(), 2020, RULES))
            != print_of(f.year_end(december, money("190000.00"), 2020, RULES)))
    over = [spend(1, amount="250000.00")]
    assert (print_of(f.over_budget(over, money()))
            != print_of(f.over_budget(over, money("210000.00"))))
    behind = money(reimbursed="80000.00")
    assert (print_of(f.idle(behind, 2020, D(2020, 12, 1), RULES))
            == print_of(f.idle(behind, 2020, D(2020, 12, 31), RULES)))
    assert (print_of(f.idle(behind, 2020, D(2020, 12, 31), RULES))
            != print_of(f.idle(money(reimbursed="90000.00"), 2020, D(2020, 12, 31), RULES))
            != print_of(f.idle(money("300000.00", reimbursed="90000.00"), 2020,
                               D(2020, 12, 31), RULES)))
    assert (print_of(f.idle({}, 2020, D(2020, 5, 1), RULES, {1: Decimal("10.00")}))
            != print_of(f.idle({}, 2020, D(2020, 5, 1), RULES, {1: Decimal("20.00")})))
    first = spend(status="submitted", submitted_on=D(2020, 9, 1))
    again = spend(status="submitted", submitted_on=D(2020, 9, 10))
    assert (print_of(f.slow([first], RULES, CAL, D(2020, 11, 2)))
            == print_of(f.slow([first], RULES, CAL, D(2020, 11, 3))))
    assert (print_of(f.slow([first], RULES, CAL, D(2020, 11, 2)))
            != print_of(f.slow([again], RULES, CAL, D(2020, 11, 2))))


def test_voided_and_rejected_take_part_in_no_rule():
    items = [spend(1, purpose="宴请", status="voided"), spend(2, purpose="宴请",
                                                             status="rejected")]
    assert f.red_flag_list(spendings=items, money=money(), findings=[], year=2020,
                           rules=RULES, calendar=CAL, today=D(2020, 6, 1)) == []


statuses = st.sampled_from(["draft", "submitted", "returned", "approved", "reimbursed",
                            "rejected", "voided"])
texts = st.sampled_from(["", "宴请", "工作餐", "劳务费", "考察", "培训", "礼品", "慰问金"])
payees = st.sampled_from(["张三", "新华书店", "", "李四等3人", "党校"])
spendings = st.builds(
    lambda i, t, day, cents, purpose, payee, status, decided, keys, submitted: Spending(
        id=i, township_id=t, date=D(2020, 1, 1) + datetime.timedelta(days=day),
        amount=Decimal(cents) / 100, category="教育培训", purpose=purpose, payee=payee,
        status=status, decision_date=decided, paid_on=None, invoice_keys=keys,
        submitted_on=submitted),
    st.integers(1, 10_000), st.integers(1, 3), st.integers(0, 365), st.integers(1, 5_000_000),
    texts, payees, statuses, st.none() | st.dates(D(2019, 1, 1), D(2021, 12, 31)),
    st.lists(st.sampled_from(["k1", "k2", "12345678-1"]), max_size=2).map(tuple),
    st.none() | st.dates(D(2019, 1, 1), D(2021, 12, 31)))


@settings(max_examples=150, deadline=None)
@given(items=st.lists(spendings, max_size=30, unique_by=lambda s: s.id),
       allocations=st.lists(st.integers(0, 30_000_000), min_size=3, max_size=3),
       today=st.dates(D(2019, 1, 1), D(2030, 12, 31)),
       threshold=st.integers(0, 2_000_000))
def test_no_rule_raises_on_any_ledger(items, allocations, today, threshold):
    rules = Rules(threshold=Decimal(threshold) / 100)
    ledger = {t: TownshipMoney(t, Decimal(a) / 100, Decimal(0), Decimal(0))
              for t, a in zip((1, 2, 3), allocations, strict=True)}
    flags = f.red_flag_list(spendings=items, money=ledger, findings=[], year=2020,
                            rules=rules, calendar=CAL, today=today,
                            carried={1: Decimal("1.00")})
    ids = {s.id for s in items if s.status not in ("voided", "rejected")}
    for flag in flags:
        assert flag.rule in f.RULES and flag.figure and len(flag.fingerprint) == 64
        assert all(i.id in ids for i in flag.items)
