#!/usr/bin/env python3
"""Loads demo data through the services' HTTP APIs only, as a user would: registers the
needs of scripts/demo/needs.json (idempotency keys make a second run change nothing),
completes some analyses and records some decisions, and, given the benefits service, takes
the safety-alarm RPA through an agreed plan, go-live and a measurement that falls behind.
Usage: load.py INTAKE ANALYSIS PRIORITISATION [BENEFITS]"""
import json
import os, sys, time, urllib.error, urllib.request

intake, analysis, prioritisation = sys.argv[1:4]
benefits = sys.argv[4] if len(sys.argv) > 4 else None
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "needs.json"), encoding="utf-8") as f:
    demo = json.load(f)

def call(method, url, body=None, headers=None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    token = os.environ.get("STYRBORD_TOKEN", "")
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **auth, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")

def wait_for(url, what, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, body = call("GET", url)
        if status == 200:
            return body
        time.sleep(0.1)
    raise SystemExit(f"demo: timed out waiting for {what}")

# A cost-benefit analysis by the city's model (one-off costs in year 0, recurring costs and
# benefits every year 1-4, internal hours at the organisation's rate) and a risk assessment.
cost_benefit = {
    "lifetimeYears": 4,
    "costs": [
        {"description": "Licens, engångsköp", "timing": "one-off", "kind": "external", "amount": "400000"},
        {"description": "Införande, egen personal", "timing": "one-off", "kind": "internal", "hours": "200"},
        {"description": "Support och drift", "timing": "recurring", "kind": "external", "amount": "50000"},
        {"description": "Förvaltning, egen personal", "timing": "recurring", "kind": "internal", "hours": "100"}],
    "benefits": [
        {"description": "Minskade kostnader", "stakeholder": "employees", "kind": "economic", "annualAmount": "150000"},
        {"description": "Frigjord handläggartid", "stakeholder": "employees", "kind": "economic", "annualHours": "400"},
        {"description": "Snabbare besked", "stakeholder": "residents", "kind": "qualitative", "score": 4,
         "indicator": "Dagar från ansökan till beslut"}],
    "note": "Demo: interna timmar omräknade till organisationens timpris."}
risk = {
    "classification": {"confidentiality": 2, "integrity": 2, "availability": 2},
    "personalData": {"processesPersonalData": True, "sensitiveCategories": [], "largeScale": False,
                     "newTechnology": False, "systematicMonitoring": False, "vulnerableDataSubjects": False},
    "laws": [{"law": law, "applicable": law != "digital-accessibility", "reason": "Demo: bedömt av analytikern."}
             for law in ["gdpr", "osl", "arkivlagen", "lou", "digital-accessibility", "kommunallagen"]],
    "risks": [{"description": "Förseningar i införandet", "probability": 2, "consequence": 2,
               "owner": "Projektledare", "mitigation": "Etappvis införande"}],
    "riskOfNotDoing": {"description": "Manuellt arbete fortsätter att växa", "probability": 3, "consequence": 3}}

def scaled(analysis, scale):
    """The demo cost-benefit analysis with every amount and hour count times `scale`, so
    the candidates of a round differ in cost."""
    if scale == "1":
        return analysis
    from decimal import Decimal
    factor = Decimal(scale)
    def times(line):
        return {k: (str((Decimal(v) * factor).quantize(Decimal(1))) if k in ("amount", "hours", "annualAmount", "annualHours") else v)
                for k, v in line.items()}
    return {**analysis, "costs": [times(c) for c in analysis["costs"]], "benefits": [times(b) for b in analysis["benefits"]]}

def analyse(initiative, key, common, scale="1"):
    """Records every part of the analysis and completes it; idempotency keys make a rerun harmless."""
    case = wait_for(f"{analysis}/v1/analyses/{initiative}", "the analysis case")
    if case["status"] == "completed":
        return
    version = case["version"]
    reuse = {"decision": "new", "reason": "Demo: ingen befintlig tjänst täcker behovet."}
    for part, body in (("cost-benefit", scaled(cost_benefit, scale)), ("risk", risk), ("reuse", reuse)):
        status, case = call("PUT", f"{analysis}/v1/analyses/{initiative}/{part}", body,
                            {"If-Match": f'"{version}"', "Idempotency-Key": f"{key}-{part}"})
        if status != 200:
            raise SystemExit(f"demo: recording the {part} of {key} failed: {status} {case}")
        version = case["version"]
    if common:
        status, body = call("POST", f"{analysis}/v1/analyses/{initiative}/supplier-board-informed",
                            {"informedOn": "2026-11-02", "board": "Leverantörens styrelse"}, {"Idempotency-Key": f"{key}-board"})
        if status != 200:
            raise SystemExit(f"demo: recording the supplier board of {key} failed: {status} {body}")
    status, body = call("POST", f"{analysis}/v1/analyses/{initiative}/complete", {}, {"Idempotency-Key": f"{key}-complete"})
    if status != 200:
        raise SystemExit(f"demo: completing the analysis of {key} failed: {status} {body}")

def realise(initiative, key):
    """Completes the pre-filled benefit plan, agrees it, goes live on 2025-01-01 (in the past,
    so follow-ups are already due) and records a measurement that falls behind; publishes it
    to the open feed. Skips what is already done, so a rerun changes nothing."""
    plan = wait_for(f"{benefits}/v1/plans/{initiative}", "the benefit plan")
    if plan["status"] == "draft":
        owner = {"organisationId": plan["organisationId"], "name": "Demo Nyttoägare"}
        complete = []
        for benefit in plan["benefits"]:
            complete.append({
                "benefitId": benefit["benefitId"], "description": benefit["description"], "kind": benefit["kind"],
                "stakeholder": benefit["stakeholder"], "owner": owner,
                "indicator": benefit.get("indicator") or "Andel ansökningar med automatiskt beslut",
                "unit": benefit.get("unit") or "procent", "baseline": {"value": "0", "date": "2024-12-01"},
                "target": {"value": "100", "date": "2026-01-01"},
                "measurementMethod": "Uttag ur verksamhetssystemet, månadsvis",
                **({"economicValue": benefit["economicValue"]} if "economicValue" in benefit else {})})
        status, body = call("PUT", f"{benefits}/v1/plans/{initiative}", {"benefits": complete, "goalAreas": ["internal-external-balance"]},
                            {"If-Match": f'"{plan["version"]}"', "Idempotency-Key": f"{key}-plan"})
        if status != 200:
            raise SystemExit(f"demo: completing the benefit plan of {key} failed: {status} {body}")
        status, plan = call("POST", f"{benefits}/v1/plans/{initiative}/agree", None, {"Idempotency-Key": f"{key}-agree"})
        if status != 200:
            raise SystemExit(f"demo: agreeing the benefit plan of {key} failed: {status} {plan}")
    for phase, extra in (("develop", {}), ("implement", {"goLiveOn": "2025-01-01"})):
        if plan["phase"] == "initiate" or (phase == "implement" and plan["phase"] == "develop"):
            status, plan = call("POST", f"{benefits}/v1/plans/{initiative}/phase", {"phase": phase, **extra},
                                {"Idempotency-Key": f"{key}-{phase}"})
            if status != 200:
                raise SystemExit(f"demo: moving {key} to {phase} failed: {status} {plan}")
    first = plan["benefits"][0]
    if "latestMeasurement" not in first:
        status, body = call("POST", f"{benefits}/v1/plans/{initiative}/benefits/{first['benefitId']}/measurements",
                            {"value": "10", "measuredOn": "2025-07-01", "source": "Demo: verksamhetssystemet"},
                            {"Idempotency-Key": f"{key}-measurement"})
        if status != 201:
            raise SystemExit(f"demo: recording a measurement of {key} failed: {status} {body}")
    call("PUT", f"{benefits}/v1/plans/{initiative}/publication", {"published": True}, {"Idempotency-Key": f"{key}-publish"})
    print(f"  realising  {plan['title']}: agreed, live since 2025-01-01, first benefit deviating")

for item in demo:
    status, need = call("POST", f"{intake}/v1/needs", item["need"], {"Idempotency-Key": item["key"]})
    if status not in (200, 201):
        raise SystemExit(f"demo: registering {item['key']} failed: {status} {need}")
    initiative = need["initiativeId"]
    print(f"  {'registered' if status == 201 else 'present   '} {need['title']}")
    if item.get("analyse"):
        analyse(initiative, item["key"], item["need"]["track"] == "common", item.get("costScale", "1"))
    if item.get("decide"):
        deadline = time.monotonic() + 60
        while True:
            status, body = call("POST", f"{prioritisation}/v1/decisions", {
                "initiativeId": initiative, "outcome": item["decide"],
                "financingType": "own-budget" if item["need"]["track"] == "organisation-specific" else "cost-allocation",
                "rationale": "Demo: beslut enligt gemensamma kriterier (nytta, angelägenhet, genomförbarhet, ekonomiska förutsättningar).",
                "decidedOn": "2026-11-20", "followedBySLK": item["need"]["track"] == "common"})
            if status in (200, 201):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"demo: recording the decision failed: {status} {body}")
            time.sleep(0.1)
    if benefits and item.get("realise"):
        realise(initiative, item["key"])
print(f"demo: {len(demo)} needs loaded")
