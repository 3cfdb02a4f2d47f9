#!/usr/bin/env python3
"""Writes Fixtures/demo/company.jsonl: a realistic, deterministic demo company for Satchel.

3 territories, 8 reps, 2,000 accounts with contacts, a year of visits and opportunities at every
stage. The same seed always writes the same bytes. Load it with scripts/load-demo.sh.
"""
import json, random, sys, datetime

random.seed(20261122)
END = datetime.datetime(2026, 11, 20, 18, 0, tzinfo=datetime.timezone.utc)
START = END - datetime.timedelta(days=365)
TERRITORIES = {
    "north": ["Lille", "Arras", "Amiens", "Valenciennes"],
    "east": ["Strasbourg", "Metz", "Nancy", "Reims"],
    "south": ["Lyon", "Grenoble", "Marseille", "Nice"],
}
REPS = {"north": ["alice", "bob", "chloe"], "east": ["david", "emma", "farid"], "south": ["gina", "hugo"]}
TIERS = [("key", 0.08, 14), ("development", 0.22, 30), ("maintenance", 0.40, 60), ("opportunity", 0.30, 90)]
CODES = ["M+A+N", "M+A+n", "M+a+N", "m+A+N", "m+A+n", "M+a+n", "m+a+n", "m+a+N"]
LIFECYCLE = [("to_be_identified", 0.10), ("potential", 0.25), ("opportunity", 0.20), ("order_customer", 0.25), ("user", 0.15), ("lost", 0.05)]
INDUSTRIES = ["machinery", "food", "retail", "logistics", "construction", "health", "textiles", "printing"]
WORDS = ["Atelier", "Maison", "Groupe", "Ets", "Société", "Comptoir", "Manufacture", "Garage", "Imprimerie", "Boulangerie"]
NAMES = ["Durand", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
         "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand"]
FIRST = ["Jeanne", "Marc", "Sophie", "Luc", "Claire", "Paul", "Inès", "Hugo", "Léa", "Nina", "Omar", "Zoé"]
TITLES = ["Buyer", "Head of purchasing", "CEO", "Plant manager", "CFO", "Workshop lead"]
STAGES = [("prospecting", 10), ("follow_up", 20), ("negotiation", 40), ("quote", 60), ("contract", 80), ("closed_won", 100), ("closed_lost", 0)]
PURPOSES = ["quarterly review", "new product demo", "complaint follow-up", "price negotiation", "introduction", "delivery check"]
OUTCOMES = ["interested", "asked for a quote", "no need now", "order expected", "escalated", "signed"]


def pick(weighted):
    r, total = random.random(), 0
    for item in weighted:
        total += item[1]
        if r < total:
            return item
    return weighted[-1]


def ms(moment):
    return int(moment.timestamp() * 1000)


def out(record):
    sys.stdout.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


accounts = []
for n in range(2000):
    territory = random.choice(list(TERRITORIES))
    city = random.choice(TERRITORIES[territory])
    tier, _, interval = pick(TIERS)
    account = {
        "record": "account", "id": f"acc-{n:04d}",
        "name": f"{random.choice(WORDS)} {random.choice(NAMES)} {n:04d}", "city": city, "territory": territory,
        "owner": random.choice(REPS[territory]), "value_tier": tier, "man_code": random.choice(CODES),
        "lifecycle_state": pick(LIFECYCLE)[0], "industry": random.choice(INDUSTRIES), "type": "business",
        "customer_no": f"C-{10000 + n}", "phone": f"+33 {random.randint(1, 5)} {n // 100:02d} {n % 100:02d} {random.randint(10, 99)} {random.randint(10, 99)}",
        "credit_rating": random.choice(["AAA", "AA", "A", "BBB", "BB", "B"]),
    }
    if random.random() < 0.15:
        account["visit_interval_days"] = random.choice([7, 21, 45])
    accounts.append(account)

visits, contacts, opportunities = [], [], []
for account in accounts:
    people = []
    for k in range(random.randint(0, 3)):
        contact = {"record": "contact", "id": f"con-{account['id'][4:]}-{k}", "account_id": account["id"],
                   "name": f"{random.choice(FIRST)} {random.choice(NAMES)}", "title": random.choice(TITLES),
                   "decision_maker": random.random() < 0.3}
        contacts.append(contact)
        people.append(contact)
    every = account.get("visit_interval_days") or dict((t, i) for t, _, i in TIERS)[account["value_tier"]]
    # Reps visit roughly on cadence, some accounts drift overdue.
    moment = START + datetime.timedelta(days=random.uniform(0, every))
    drift = random.choice([0.8, 1.0, 1.0, 1.3, 2.0])
    count = 0
    while moment < END and account["lifecycle_state"] != "to_be_identified":
        met = [c for c in people if random.random() < 0.6]
        visit = {"record": "visit", "id": f"vis-{account['id'][4:]}-{count}", "account_id": account["id"],
                 "rep": account["owner"] if random.random() < 0.9 else random.choice(sum(REPS.values(), [])),
                 "started_at": ms(moment.replace(hour=random.randint(8, 17), minute=random.choice([0, 15, 30, 45]))),
                 "channel": random.choices(["face_to_face", "phone", "video", "email", "event"], [55, 25, 10, 7, 3])[0],
                 "purpose": random.choice(PURPOSES), "outcome": random.choice(OUTCOMES),
                 "met_decision_maker": any(c["decision_maker"] for c in met)}
        if met:
            visit["contact_ids"] = sorted(c["id"] for c in met)
        visit["ended_at"] = visit["started_at"] + random.choice([30, 45, 60, 90]) * 60000
        visits.append(visit)
        count += 1
        moment += datetime.timedelta(days=every * drift * random.uniform(0.7, 1.3))
    if count:
        account["first_contacted_at"] = visits[-count]["started_at"]
        account["last_contacted_at"] = visits[-1]["started_at"]
    for k in range(random.choice([0, 0, 1, 1, 2])):
        stage, probability = random.choice(STAGES)
        opportunity = {"record": "opportunity", "id": f"opp-{account['id'][4:]}-{k}", "account_id": account["id"],
                       "name": f"{random.choice(['Renewal', 'Expansion', 'New line', 'Service contract'])} {account['name'].split()[-1]}-{k}",
                       "amount": {"minor": random.randint(20, 800) * 5000, "currency": "EUR"}, "stage": stage,
                       "probability": probability, "owner": account["owner"],
                       "expected_close": (END + datetime.timedelta(days=random.randint(-120, 180))).strftime("%Y-%m-%d")}
        if stage.startswith("closed"):
            opportunity["close_reason"] = "signed" if stage == "closed_won" else "lost to competitor"
        if stage == "closed_lost":
            opportunity["lost_reason"] = random.choice(["price", "timing", "competitor", "no budget"])
        opportunities.append(opportunity)

for record in accounts + contacts + visits + opportunities:
    out(record)
