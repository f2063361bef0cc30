"""pytest set-up for the operations checks: import path, and a header and a closing
summary that say what was validated with which tools."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import deploychecks  # noqa: E402


def pytest_report_header(config):
    versions = ", ".join(f"{tool} {version}" for tool, version in deploychecks.tool_versions().items())
    return [f"operations checks with {versions}"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    versions = ", ".join(f"{tool} {version}" for tool, version in deploychecks.tool_versions().items())
    lines = [f"tools: {versions}", "compose/compose.yaml: Compose Specification JSON schema, environment, start order, pinned images"]
    for overlay in deploychecks.OVERLAYS:
        try:
            docs = deploychecks.render(overlay)
        except Exception as error:  # the failing test reports the details
            lines.append(f"deploy/overlays/{overlay}: could not render ({error.__class__.__name__})")
            continue
        kinds = {}
        for doc in docs:
            kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        lines.append(f"deploy/overlays/{overlay}: {len(docs)} objects against Kubernetes "
                     f"{' and '.join(deploychecks.KUBERNETES_VERSIONS)} schemas and project checks ({summary})")
    lines.append(f"services/*/Dockerfile: {len(deploychecks.services())} images (multi-stage, non-root, health check)")
    lines.append("alert rules: structure, PromQL brackets, metric names against the code; "
                 f"{len(deploychecks.PENDING_METRICS)} metrics still to be exported by the services")
    terminalreporter.write_sep("-", "validated")
    for line in lines:
        terminalreporter.write_line(line)
