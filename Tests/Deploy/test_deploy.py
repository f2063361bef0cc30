"""Validation of the operations artefacts: compose/compose.yaml, every rendered kustomize
overlay in deploy/, the alert rules and the service Dockerfiles. Each check runs on the
real files and, in a test of its own, on a copy broken on purpose, so a check that can no
longer fail is noticed. Run: python3 -m pytest Tests/Deploy (scripts/test.sh does)."""

from __future__ import annotations

import pytest

import deploychecks as checks
from deploychecks import deep

SERVICES = list(checks.services())


@pytest.fixture(scope="module")
def compose():
    return checks.load_compose()


@pytest.fixture(scope="module", params=checks.OVERLAYS)
def overlay(request):
    return request.param, checks.render(request.param)


def by_name(docs, kind, name):
    return next(d for d in docs if d.get("kind") == kind and d["metadata"]["name"] == name)


def assert_none(problems):
    assert problems == [], "\n".join(problems)


# --- What the code says is read consistently ----------------------------------------------

def test_configuration_reference_lists_exactly_the_variables_the_sources_declare():
    documented = {name for service in checks.configuration().values() for name in service}
    assert set(checks.configuration()) == set(SERVICES), "docs/configuration.md has a section per service"
    assert documented == checks.variables_in_sources(), (
        "docs/configuration.md is stale: run scripts/gen-config-docs.sh")


def test_code_artefacts_are_found():
    assert len(SERVICES) == 5 and all(SERVICES[i] for i in range(5))
    assert all(port for port in checks.services().values())
    assert len(checks.topics_in_code()) == 4 + len(SERVICES)
    assert "styrbord_events_dead_lettered_total" in checks.metrics_in_code()


# --- Compose ------------------------------------------------------------------------------

def test_compose_file_matches_the_compose_specification(compose):
    assert_none(checks.check_compose_schema(compose))


def test_compose_schema_check_fails_on_a_malformed_file(compose):
    broken = deep(compose)
    broken["services"]["intake"]["ports"] = "8081"                 # must be a list
    broken["services"]["kafka"]["healthcheck"]["intervall"] = "5s"  # unknown key
    problems = checks.check_compose_schema(broken)
    assert any("ports" in p for p in problems) and any("intervall" in p for p in problems), problems


def test_compose_environment_sets_what_the_code_needs(compose):
    assert_none(checks.check_compose_environment(compose, checks.configuration()))


def test_compose_environment_check_fails_on_unknown_variables_and_literal_secrets(compose):
    broken = deep(compose)
    broken["services"]["analysis"]["environment"]["STYRBORD_KAFKA_BROKER"] = "kafka:9092"
    broken["services"]["intake"]["environment"]["STYRBORD_DATABASE_URL"] = "postgresql://styrbord_intake@postgres/styrbord"
    problems = checks.check_compose_environment(broken, checks.configuration())
    assert any("STYRBORD_KAFKA_BROKER," in p for p in problems), problems
    assert any("secret STYRBORD_DATABASE_URL" in p for p in problems), problems


def test_compose_environment_check_fails_when_a_required_variable_is_missing(compose):
    reference = deep(checks.configuration())
    reference["intake"]["STYRBORD_AUTH_JWKS"] = {"default": "(required)", "required": True, "secret": False}
    problems = checks.check_compose_environment(compose, reference)
    assert any("required STYRBORD_AUTH_JWKS" in p for p in problems), problems


def test_compose_starts_infrastructure_first_and_services_in_any_order(compose):
    assert_none(checks.check_compose_shape(compose))


def test_compose_shape_check_fails_on_service_to_service_waits_and_floating_images(compose):
    broken = deep(compose)
    broken["services"]["analysis"]["depends_on"]["intake"] = {"condition": "service_healthy"}
    broken["services"]["kafka"]["image"] = "apache/kafka:latest"
    del broken["services"]["benefits-migrate"]
    problems = checks.check_compose_shape(broken)
    assert any("analysis: waits for intake" in p for p in problems), problems
    assert any("kafka: image" in p for p in problems), problems
    assert any("benefits-migrate" in p for p in problems), problems


# --- Kubernetes manifests -----------------------------------------------------------------

@pytest.mark.parametrize("version", checks.KUBERNETES_VERSIONS)
def test_every_rendered_manifest_matches_the_kubernetes_schemas(overlay, version):
    name, docs = overlay
    assert len(docs) > 40, f"{name} rendered only {len(docs)} objects"
    assert_none(checks.check_kubernetes_schemas(docs, version))


def test_kubernetes_schema_check_fails_on_a_mistyped_or_misspelt_field(overlay):
    _, docs = overlay
    mistyped = deep(by_name(docs, "Deployment", "analysis"))
    mistyped["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    misspelt = deep(by_name(docs, "Deployment", "analysis"))
    misspelt["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    topic = deep(next(d for d in docs if d["kind"] == "KafkaTopic"))
    topic["spec"]["replicas"] = "three"
    problems = checks.check_kubernetes_schemas([mistyped, misspelt, topic], checks.KUBERNETES_VERSIONS[-1])
    assert any("containerPort" in p or "'http' is not of type" in p for p in problems), problems
    assert any("livenesProbe" in p for p in problems), problems
    assert any("spec.replicas" in p for p in problems), problems


def test_every_workload_has_probes_limits_and_a_non_root_hardened_context(overlay):
    _, docs = overlay
    assert_none(checks.check_workloads(docs))


@pytest.mark.parametrize("breakage", ["no readiness probe", "liveness on the wrong path", "root user",
                                      "no memory limit", "writable root", "capabilities kept"])
def test_workload_check_fails_on_each_weakening(overlay, breakage):
    _, docs = overlay
    docs = deep(docs)
    deployment = by_name(docs, "Deployment", "benefits")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    match breakage:
        case "no readiness probe":
            del container["readinessProbe"]
        case "liveness on the wrong path":
            container["livenessProbe"]["httpGet"]["path"] = "/"
        case "root user":
            pod["securityContext"]["runAsUser"] = 0
        case "no memory limit":
            del container["resources"]["limits"]
        case "writable root":
            container["securityContext"]["readOnlyRootFilesystem"] = False
        case "capabilities kept":
            container["securityContext"]["capabilities"]["drop"] = []
    problems = checks.check_workloads(docs)
    assert any("Deployment/benefits" in p for p in problems), (breakage, problems)


def test_every_variable_the_code_reads_is_set_or_defaulted_and_secrets_come_from_secrets(overlay):
    _, docs = overlay
    assert_none(checks.check_environment(docs, checks.configuration()))


def test_environment_check_fails_on_secret_in_configmap_unknown_variable_and_missing_required(overlay):
    _, docs = overlay
    docs = deep(docs)
    configmap = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("intake-config"))
    configmap["data"]["STYRBORD_DATABASE_URL"] = "postgresql://styrbord_intake@db/styrbord"
    configmap["data"]["STYRBORD_TOPIC_PARTITION"] = "6"
    reference = deep(checks.configuration())
    reference["analysis"]["STYRBORD_AUTH_ISSUER"] = {"default": "(required)", "required": True, "secret": True}
    reference["analysis"]["STYRBORD_SMTP_PASSWORD"] = {"default": "", "required": False, "secret": True}
    reference["notifications"]["STYRBORD_SMTP_PASSWORD"] = {"default": "", "required": False, "secret": True}
    # The auth settings come from the styrbord-auth Secret; take it away from analysis.
    analysis = by_name(docs, "Deployment", "analysis")["spec"]["template"]["spec"]["containers"][0]
    analysis["envFrom"] = [e for e in analysis["envFrom"] if "secretRef" not in e]
    reference["prioritisation"]["STYRBORD_SMTP_HOST"] = {"default": "(required)", "required": True, "secret": False}
    problems = checks.check_environment(docs, reference)
    assert any("ConfigMap/intake-config" in p and "secret STYRBORD_DATABASE_URL set in plain text" in p
               for p in problems), problems
    assert any("STYRBORD_TOPIC_PARTITION," in p for p in problems), problems
    assert any("Deployment/analysis: secret STYRBORD_AUTH_ISSUER is not wired" in p for p in problems), problems
    assert any("required STYRBORD_SMTP_HOST" in p for p in problems), problems
    # notifications may take SMTP secrets from notifications-delivery; analysis may not.
    assert any("Deployment/analysis: secret STYRBORD_SMTP_PASSWORD is not wired" in p for p in problems), problems
    assert not any("Deployment/notifications: secret STYRBORD_SMTP_PASSWORD" in p for p in problems), problems


def test_secret_auth_settings_reach_every_workload_through_the_shared_secret(overlay):
    _, docs = overlay
    reference = deep(checks.configuration())
    for service in reference.values():
        service["STYRBORD_AUTH_JWKS"] = {"default": "(required)", "required": True, "secret": True}
    assert_none(checks.check_environment(docs, reference))


def test_every_topic_the_code_uses_has_a_kafka_topic(overlay):
    name, docs = overlay
    assert_none(checks.check_topics(docs, name))


def test_every_consumer_may_read_the_topics_it_consumes_in_prod():
    assert checks.consumed_topics()["benefits"] == {
        "styrbord.intake.events.v1", "styrbord.analysis.events.v1", "styrbord.prioritisation.events.v1"}
    assert_none(checks.check_consumer_acls(checks.render("prod")))


def test_consumer_acl_check_fails_when_a_read_is_missing():
    docs = deep(checks.render("prod"))
    user = next(d for d in docs if d["kind"] == "KafkaUser" and d["metadata"]["name"] == "styrbord-benefits")
    user["spec"]["authorization"]["acls"] = [
        a for a in user["spec"]["authorization"]["acls"] if a["resource"].get("name") != "styrbord.analysis.events.v1"]
    problems = checks.check_consumer_acls(docs)
    assert problems == ["KafkaUser styrbord-benefits may not read styrbord.analysis.events.v1, which benefits consumes"], problems


def test_prod_topics_are_replicated_three_times_with_two_in_sync():
    docs = checks.render("prod")
    topics = [d for d in docs if d["kind"] == "KafkaTopic"]
    assert topics and all(t["spec"]["replicas"] == 3 and t["spec"]["config"]["min.insync.replicas"] == 2 for t in topics)


def test_topic_check_fails_on_missing_topic_low_replication_and_too_few_partitions():
    docs = deep(checks.render("prod"))
    topics = [d for d in docs if d["kind"] == "KafkaTopic"]
    docs.remove(next(t for t in topics if t["spec"]["topicName"] == "styrbord.dlq.notifications"))
    intake = next(t for t in topics if t["spec"]["topicName"] == "styrbord.intake.events.v1")
    intake["spec"]["replicas"] = 1
    analysis = next(t for t in topics if t["spec"]["topicName"] == "styrbord.analysis.events.v1")
    analysis["spec"]["partitions"] = 3
    analysis["spec"]["config"]["min.insync.replicas"] = 1
    problems = checks.check_topics(docs, "prod")
    assert any("no KafkaTopic for styrbord.dlq.notifications" in p for p in problems), problems
    assert any("styrbord.intake.events.v1 has replicas 1" in p for p in problems), problems
    assert any("styrbord.analysis.events.v1 has 3 partitions" in p for p in problems), problems
    assert any("styrbord.analysis.events.v1 has min.insync.replicas 1" in p for p in problems), problems


def test_every_service_has_its_service_pdb_network_policy_and_migrations_job(overlay):
    _, docs = overlay
    assert_none(checks.check_platform_objects(docs))


def test_platform_check_fails_on_missing_policy_open_egress_and_missing_hpa(overlay):
    _, docs = overlay
    docs = deep(docs)
    docs.remove(by_name(docs, "NetworkPolicy", "prioritisation"))
    docs.remove(by_name(docs, "HorizontalPodAutoscaler", "intake"))
    by_name(docs, "NetworkPolicy", "analysis")["spec"]["egress"].append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})
    del by_name(docs, "ServiceAccount", "benefits")["metadata"]["labels"]["styrbord/step"]
    problems = checks.check_platform_objects(docs)
    assert any("ServiceAccount benefits: needed by Job benefits-migrate" in p for p in problems), problems
    assert "no NetworkPolicy prioritisation" in problems, problems
    assert any("HorizontalPodAutoscaler" in p for p in problems), problems
    assert any("NetworkPolicy analysis: egress to ipBlocks" in p for p in problems), problems


def test_no_secret_objects_are_rendered(overlay):
    _, docs = overlay
    assert_none(checks.check_no_secret_objects(docs))


def test_secret_object_check_fails_on_a_secret():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "intake-database"}, "stringData": {"url": "x"}}
    assert checks.check_no_secret_objects([secret])


def test_no_secret_values_in_compose_deploy_or_dockerfiles():
    files = checks.repository_operations_files()
    assert any(path.startswith("deploy/overlays/prod") for path in files)
    assert_none(checks.scan_for_secrets(files))


def test_secret_scan_finds_passwords_keys_and_urls_with_credentials():
    problems = checks.scan_for_secrets({
        "compose/compose.yaml": "      POSTGRES_PASSWORD: hunter22\n      PGPASSWORD: ${POSTGRES_PASSWORD:?x}\n",
        "deploy/x.yaml": "  - STYRBORD_DATABASE_URL=postgresql://u:pw@db/styrbord\n  secretName: fine\n",
        "deploy/y.pem": "-----BEGIN RSA PRIVATE KEY-----\n",
    })
    assert len(problems) == 3, problems


# --- Alert rules --------------------------------------------------------------------------

def test_alert_rules_are_well_formed_and_use_known_metrics():
    assert_none(checks.check_alert_rules(checks.alert_rules(checks.render("prod"))))


def test_pending_metrics_are_not_yet_exported():
    already = set(checks.PENDING_METRICS) & checks.metrics_in_code()
    assert not already, f"exported now: remove {sorted(already)} from PENDING_METRICS"


@pytest.mark.parametrize("breakage", ["unbalanced", "unknown metric", "no expr", "bad duration", "no severity",
                                      "no DLQ alert"])
def test_alert_rule_check_fails_on_each_mistake(breakage):
    rules = deep(checks.alert_rules(checks.render("prod")))
    first = rules["spec"]["groups"][0]["rules"][0]
    match breakage:
        case "unbalanced":
            first["expr"] = "max by (schema (styrbord_outbox_backlog) > 500"
        case "unknown metric":
            first["expr"] = "styrbord_outbox_backlogg > 500"
        case "no expr":
            del first["expr"]
        case "bad duration":
            first["for"] = "ten minutes"
        case "no severity":
            first["labels"] = {}
        case "no DLQ alert":
            for group in rules["spec"]["groups"]:
                group["rules"] = [r for r in group["rules"] if "dead_lettered" not in r["expr"]]
    assert checks.check_alert_rules(rules), breakage


def test_operations_guide_explains_every_alert():
    guide = (checks.ROOT / "docs" / "operations.md").read_text()
    rules = checks.alert_rules(checks.render("prod"))
    missing = [r["alert"] for g in rules["spec"]["groups"] for r in g["rules"] if r["alert"] not in guide]
    assert not missing, f"docs/operations.md does not explain {missing}"


# --- Dockerfiles --------------------------------------------------------------------------

@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_builds_one_service_and_runs_it_non_root_with_a_health_check(service):
    assert_none(checks.check_dockerfile(service, (checks.ROOT / "services" / service / "Dockerfile").read_text()))


@pytest.mark.parametrize("breakage", ["root user", "no user", "no healthcheck", "shell entrypoint", "floating base",
                                      "misspelt instruction"])
def test_dockerfile_check_fails_on_each_weakening(breakage):
    text = (checks.ROOT / "services" / "intake" / "Dockerfile").read_text()
    match breakage:
        case "root user":
            text = text.replace("USER 10001:10001", "USER root")
        case "no user":
            text = text.replace("USER 10001:10001", "")
        case "no healthcheck":
            text = text.replace("HEALTHCHECK", "# HEALTHCHECK").replace("  CMD curl", "# CMD curl")
        case "shell entrypoint":
            text = text.replace('ENTRYPOINT ["/app/styrbord-intake"]', "ENTRYPOINT /app/styrbord-intake")
        case "floating base":
            text = text.replace("ARG RUNTIME_IMAGE=ubuntu:24.04", "ARG RUNTIME_IMAGE=ubuntu")
        case "misspelt instruction":
            text = text.replace("WORKDIR /app", "WORKDIRR /app")
    assert checks.check_dockerfile("intake", text), breakage
