#!/usr/bin/env python3
"""End-to-end latency of the walking skeleton at a steady rate.

Submits needs to intake at RATE per second for DURATION seconds, takes the moment each
POST was answered as "need accepted", and reads from the notifications schema when the
first notification of that initiative (the analyst's "new need to analyse", two Kafka
hops and two services later) was recorded. Prints p50/p90/p99/max in milliseconds.

Usage: latency.py INTAKE_URL ADMIN_DATABASE_URL RATE DURATION
"""
import json, statistics, subprocess, sys, threading, time, urllib.request, uuid

intake, database, rate, duration = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
run_id = uuid.uuid4().hex[:8]
accepted = {}          # initiative id -> wall-clock seconds when the POST was answered
errors = []
lock = threading.Lock()

def submit(index):
    body = json.dumps({
        "organisationId": "aldre-vard-omsorg", "track": "organisation-specific",
        "title": f"Latensmätning {run_id} nummer {index}", "description": "Mätning av svarstid genom hela flödet.",
        "category": "efficiency", "driver": "own-need", "targetGroups": ["employees"]}).encode()
    request = urllib.request.Request(f"{intake}/v1/needs", data=body, method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": f"latency-{run_id}-{index}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
            with lock:
                accepted[answer["initiativeId"]] = time.time()
    except Exception as error:  # the figure is only meaningful without errors; report them
        with lock:
            errors.append(str(error))

threads = []
count = int(rate * duration)
start = time.monotonic()
for index in range(count):
    # Steady schedule: request i leaves at start + i/rate, whatever earlier ones took.
    delay = start + index / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    thread = threading.Thread(target=submit, args=(index,))
    thread.start()
    threads.append(thread)
for thread in threads:
    thread.join()

def recorded():
    ids = ",".join(f"'{i}'" for i in accepted)
    query = ("SELECT initiative_id, extract(epoch FROM min(created_at)) FROM notifications.notifications "
             f"WHERE kind = 'analysis-assigned' AND initiative_id IN ({ids}) GROUP BY initiative_id")
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", " ", database, "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines() if line.strip()}

deadline = time.monotonic() + 60
seen = {}
while time.monotonic() < deadline:
    seen = recorded()
    if len(seen) == len(accepted):
        break
    time.sleep(0.2)

latencies = sorted((seen[i] - accepted[i]) * 1000 for i in accepted if i in seen)
def pct(p):
    return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))]
print(f"RESULT name=e2e-latency rate={rate} needs={count} accepted={len(accepted)} recorded={len(seen)} "
      f"errors={len(errors)} p50_ms={pct(50):.2f} p90_ms={pct(90):.2f} p99_ms={pct(99):.2f} "
      f"max_ms={latencies[-1]:.2f} mean_ms={statistics.mean(latencies):.2f}")
if errors:
    print("first error:", errors[0], file=sys.stderr)
