#!/usr/bin/env python3
"""Loads demo data through the services' HTTP APIs only, as a user would: registers the
needs of scripts/demo/needs.json (idempotency keys make a second run change nothing),
completes some analyses and records some decisions. Usage: load.py INTAKE ANALYSIS PRIORITISATION"""
import json
import os, sys, time, urllib.error, urllib.request

intake, analysis, prioritisation = sys.argv[1:4]
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

costs = {"oneOffCost": "1200000", "annualCost": "250000", "annualBenefit": "900000", "lifetimeYears": 5,
         "note": "Demo: kostnader i kronor, interna timmar omräknade till 650 kr/h."}
for item in demo:
    status, need = call("POST", f"{intake}/v1/needs", item["need"], {"Idempotency-Key": item["key"]})
    if status not in (200, 201):
        raise SystemExit(f"demo: registering {item['key']} failed: {status} {need}")
    initiative = need["initiativeId"]
    print(f"  {'registered' if status == 201 else 'present   '} {need['title']}")
    if item.get("analyse"):
        wait_for(f"{analysis}/v1/analyses/{initiative}", "the analysis case")
        status, body = call("POST", f"{analysis}/v1/analyses/{initiative}/complete", costs)
        if status != 200:
            raise SystemExit(f"demo: completing the analysis failed: {status} {body}")
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
print(f"demo: {len(demo)} needs loaded")
