"""Realistic, fake demo data: Chinese customers with valid ID numbers, agents in
every status, policies in every state, payments, claims and groups.

Deterministic for a given seed and date, so tests and the README can name
records (the badge numbers below) that are always there.
"""
import datetime
import random
from decimal import Decimal

from appliance import clock, idcard
from appliance.db import write_transaction
from appliance.models import Claim, ContactGroup, Customer, GroupMember, Payment, Policy, Product, Staff

# Named in the README for trying the agent identity check (IVR menu 2).
KNOWN_AGENTS = [
    # badge, name, gender, status, department
    ("35010001", "王建国", "M", "active", "个险一部"),
    ("35010002", "李秀英", "F", "active", "个险二部"),
    ("35019001", "赵志强", "M", "suspended", "个险一部"),
    ("35019002", "孙丽娟", "F", "left", "银保部"),
]
UNKNOWN_BADGE = "35019999"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_M = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆建国志永海峰晨毅"
GIVEN_F = "芳娜敏静丽艳娟霞秀英玲桂兰萍红梅琳燕婷雪慧颖倩洁晶莉璐瑶佳欣怡"
REGIONS = [("350102", "福州市鼓楼区"), ("350203", "厦门市思明区"), ("350503", "泉州市丰泽区"),
           ("350302", "莆田市城厢区"), ("350602", "漳州市芗城区"), ("110105", "北京市朝阳区"),
           ("310101", "上海市黄浦区"), ("440305", "深圳市南山区")]
MOBILE_PREFIXES = ["138", "139", "135", "150", "182", "130", "131", "186", "155", "133", "153", "189", "177"]
PRODUCTS = [("A101", "安康终身寿险", "main"), ("A102", "鑫盛年金保险", "main"), ("A103", "少儿成长两全保险", "main"),
            ("A104", "尊享医疗保险", "main"), ("A105", "安心重大疾病保险", "main"), ("B201", "附加意外伤害保险", "rider"),
            ("B202", "附加住院津贴医疗保险", "rider"), ("B203", "附加豁免保险费保险", "rider")]
DEPARTMENTS = ["个险一部", "个险二部", "银保部", "团险部", "续期服务部"]
BRANCH = "福州中心支公司"
FREQ_MONTHS = {"annual": 12, "semiannual": 6, "quarterly": 3, "monthly": 1, "single": 0}


def add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue


class DemoBuilder:
    def __init__(self, today, seed):
        self.today = today
        self.rng = random.Random(seed)
        self.used_mobiles = set()

    def name(self, gender):
        given = GIVEN_M if gender == "M" else GIVEN_F
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(given) for _ in range(self.rng.choice((1, 2))))

    def mobile(self):
        while True:
            number = f"+86{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def id_number(self, region, born, gender):
        seq = self.rng.randrange(0, 999)
        if (seq % 2 == 1) != (gender == "M"):
            seq = seq + 1 if seq < 998 else seq - 1
        return idcard.make_id_number(region, born, seq)

    def staff(self, count):
        rows = []
        for badge, name, gender, status, dept in KNOWN_AGENTS:
            rows.append(dict(badge_no=badge, name=name, gender=gender, status=status, department=dept))
        for i in range(count - len(KNOWN_AGENTS)):
            gender = self.rng.choice("MF")
            status = self.rng.choices(["active", "suspended", "left"], [85, 5, 10])[0]
            rows.append(dict(badge_no=f"3501{i + 10:04d}", name=self.name(gender), gender=gender,
                             status=status, department=self.rng.choice(DEPARTMENTS)))
        staff = []
        for row in rows:
            born = datetime.date(self.rng.randrange(1965, 2000), self.rng.randrange(1, 13), self.rng.randrange(1, 29))
            staff.append(Staff.create(mobile=self.mobile(), branch=BRANCH, birthday=born,
                                      licence_no=f"0200035{self.rng.randrange(10**11):011d}", **row))
        return staff

    def customers(self, count):
        customers = []
        for i in range(count):
            gender = self.rng.choice("MF")
            region, region_name = self.rng.choice(REGIONS)
            born = datetime.date(self.rng.randrange(1950, 2006), self.rng.randrange(1, 13), self.rng.randrange(1, 29))
            if i < 5:  # a few birthdays today, for the greeting notices
                born = born.replace(month=self.today.month, day=min(self.today.day, 28))
            customers.append(Customer.create(
                customer_no=f"C{i + 1:07d}", name=self.name(gender), gender=gender, mobile=self.mobile(),
                id_number=self.id_number(region, born, gender), region=region_name,
                language="en" if i % 50 == 49 else "zh", opt_out=(i % 23 == 0)))
        return customers

    def policies(self, customers, agents, products):
        active_agents = [a for a in agents if a.status == "active"] or agents
        mains = [p for p in products if p.kind == "main"]
        statuses = ["in_force"] * 14 + ["lapsed", "matured", "terminated"]
        policies = []
        for i, holder in enumerate(customers):
            for j in range(self.rng.choice((1, 1, 1, 2))):
                status = statuses[(i * 2 + j) % len(statuses)] if i >= 20 else "in_force"
                frequency = self.rng.choice(["annual", "annual", "semiannual", "quarterly", "monthly", "single"])
                issue = self.today - datetime.timedelta(days=self.rng.randrange(30, 3650))
                # Due dates spread over the next two months (and some overdue) so the
                # notice rules have work every day.
                due = self.today + datetime.timedelta(days=self.rng.randrange(-40, 60))
                if frequency == "single" or status in ("matured", "terminated"):
                    due = None
                grace_end = due + datetime.timedelta(days=60) if due else None
                if status == "lapsed" and due:
                    due = self.today - datetime.timedelta(days=self.rng.randrange(70, 400))
                    grace_end = due + datetime.timedelta(days=60)
                agent = self.rng.choice(agents if i % 10 == 0 else active_agents)
                premium = Decimal(self.rng.choice([1200, 2400, 3650, 5000, 8800, 12000, 20000, 36000]))
                policies.append(Policy.create(
                    policy_no=f"8860{len(policies) + 10000001:08d}", product=self.rng.choice(mains),
                    holder=holder, insured=holder if j == 0 else self.rng.choice(customers), agent=agent,
                    premium=premium, frequency=frequency, sum_assured=premium * self.rng.choice((10, 20, 50)),
                    issue_date=issue, next_due_date=due, grace_end=grace_end,
                    maturity_date=issue + datetime.timedelta(days=365 * 20) if status != "matured"
                    else self.today - datetime.timedelta(days=self.rng.randrange(1, 200)),
                    status=status))
        return policies

    def payments(self, policies):
        for policy in policies:
            months = FREQ_MONTHS[policy.frequency] or 12
            anchor = policy.next_due_date or self.today
            for k in range(1, self.rng.randrange(2, 5)):
                due = add_months(anchor, -months * k)
                if due < policy.issue_date:
                    break
                failed = self.rng.random() < 0.05
                Payment.create(policy=policy, amount=policy.premium, due_date=due, paid_on=due,
                               method=self.rng.choice(["银行转账", "银行卡代扣", "微信支付"]),
                               status="failed" if failed else "received",
                               failure_reason="账户余额不足" if failed else "",
                               reference=f"PAY{policy.id:06d}{k:02d}")

    def claims(self, policies):
        statuses = ["reported", "accepted", "investigating", "approved", "declined", "paid", "closed"]
        for n, policy in enumerate(self.rng.sample(policies, min(60, len(policies)))):
            status = statuses[n % len(statuses)]
            reported = self.today - datetime.timedelta(days=self.rng.randrange(1, 300))
            amount = Decimal(self.rng.choice([800, 2500, 6000, 15000, 50000]))
            decided = reported + datetime.timedelta(days=7) if status in ("approved", "declined", "paid", "closed") else None
            Claim.create(claim_no=f"5{n + 100000001:09d}", policy=policy, status=status, amount_claimed=amount,
                         amount_paid=amount if status in ("paid", "closed") else 0, reported_on=reported,
                         decided_on=decided, paid_on=decided if status in ("paid", "closed") else None,
                         decline_reason="不属于保险责任范围" if status == "declined" else "")

    def groups(self, customers, staff):
        ContactGroup.create(name="福州鼓楼客户", kind="customer", rule="region", rule_value="福州市鼓楼区")
        ContactGroup.create(name="重疾险客户", kind="customer", rule="product", rule_value="A105")
        ContactGroup.create(name="个险一部", kind="staff", rule="department", rule_value="个险一部")
        vip = ContactGroup.create(name="VIP客户", kind="customer", description="手工挑选")
        for customer in customers[:12]:
            GroupMember.create(group=vip, customer=customer)
        managers = ContactGroup.create(name="部门经理", kind="staff", description="手工挑选")
        for person in staff[:5]:
            GroupMember.create(group=managers, staff=person)


def seed(customers=300, staff=40, now=None, seed=2026):
    """Fill an empty database with demo data; returns counts by table."""
    builder = DemoBuilder(clock.today(now), seed)
    with write_transaction():
        products = [Product.create(code=c, name=n, kind=k) for c, n, k in PRODUCTS]
        agents = builder.staff(max(staff, len(KNOWN_AGENTS)))
        people = builder.customers(customers)
        policies = builder.policies(people, agents, products)
        builder.payments(policies)
        builder.claims(policies)
        builder.groups(people, agents)
    return {m.__name__: m.select().count() for m in (Customer, Staff, Policy, Payment, Claim, ContactGroup)}
