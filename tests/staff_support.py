"""A known book of business for the staff line's tests: one agent (王小明, badge 90000001,
mobile 13700000001) whose policies, payments and due dates are set relative to `today`,
and a colleague (90000002) whose customers must never show up in the agent's figures.

With today = 2026-11-20 (month from 11-01, quarter from 10-01) the agent has:
  month:   3 payments, 2134.30 collected, 2034.10 renewals, 1 new policy, 100.20 premium
  quarter: 4 payments, 5784.65 collected, 2034.10 renewals, 2 new policies, 3750.55 premium
  due in 30 days: 张先生 policy …0001 1234.10 on 12-05; overdue: 欧阳女士 …0004 500.00 on 11-01
(0.10 + 0.20 and friends: a float sum would be off by a fraction of a cent.)
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from appliance.models import Customer, Payment, Policy, Product, Staff

AGENT_MOBILE, COLLEAGUE_MOBILE = "13700000001", "13700000002"
PIN = "258046"


@dataclass
class Book:
    agent: Staff
    colleague: Staff
    policies: dict


def make_book(today):
    def day(n):
        return today + datetime.timedelta(days=n)
    month = today.replace(day=1)
    quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    product, _ = Product.get_or_create(code="STAFFT", defaults={"name": "测试终身寿险"})
    agent = Staff.create(badge_no="90000001", name="王小明", mobile=AGENT_MOBILE, status="active")
    colleague = Staff.create(badge_no="90000002", name="赵大海", mobile=COLLEAGUE_MOBILE, status="active")
    zhang = Customer.create(name="张三", gender="M", mobile="13600000001")
    ouyang = Customer.create(name="欧阳娜娜", gender="F", mobile="13600000002")
    li = Customer.create(name="李四", mobile="13600000003")
    policies = {}

    def policy(key, holder, premium, issued, due, agent=agent, status="in_force", frequency="annual"):
        policies[key] = Policy.create(policy_no=f"99000000{key:04d}", product=product, holder=holder, agent=agent,
                                      premium=Decimal(premium), frequency=frequency, issue_date=issued,
                                      next_due_date=due, status=status)
        return policies[key]

    def paid(key, amount, on, due=None, status="received"):
        Payment.create(policy=policies[key], amount=Decimal(amount), paid_on=on, due_date=due or on, status=status)

    policy(1, zhang, "1234.10", day(-600), day(15))            # due soon, unpaid
    paid(1, "1234.10", month)                                  # a renewal this month
    paid(1, "1234.10", quarter - datetime.timedelta(days=20))  # before the quarter
    policy(2, zhang, "100.20", month, month + datetime.timedelta(days=365))  # new this month
    paid(2, "100.20", month)
    policy(3, ouyang, "3650.35", quarter + datetime.timedelta(days=14), day(200))  # new this quarter
    paid(3, "3650.35", quarter + datetime.timedelta(days=14))
    policy(4, ouyang, "500.00", day(-700), day(-19), frequency="monthly")  # overdue
    paid(4, "500.00", day(-19), status="failed")
    policy(5, li, "800.00", day(-565), day(5))                 # due soon but paid already
    paid(5, "800.00", day(-2), due=day(5))
    policy(6, li, "999.99", day(-400), day(8), agent=colleague)  # the colleague's
    paid(6, "999.99", day(-1))
    policy(7, zhang, "5000.00", day(-300), None, frequency="single")
    policy(8, li, "300.00", day(-900), day(-110), status="lapsed")
    policy(9, zhang, "100.00", day(-800), day(35))             # due beyond 30 days
    paid(9, "100.00", day(1))                                  # after today: not counted yet
    return Book(agent, colleague, policies)
