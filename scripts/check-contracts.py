#!/usr/bin/env python3
"""Checks Styrbord's published contracts: event schemas, AsyncAPI and OpenAPI documents.

Usage:
  check-contracts.py schemas                  every docs/events/schemas/*.json is a valid
                                              JSON Schema 2020-12, its $id matches the code,
                                              every $ref resolves, the samples in
                                              docs/events/examples/ validate
  check-contracts.py event TYPE [FILE ...]    validates event data (JSON) against the schema
                                              of TYPE (full CloudEvents type such as
                                              se.goteborg.styrbord.need.submitted.v1, or
                                              the short form need.submitted.v1); no FILE or
                                              '-' reads standard input
  check-contracts.py openapi                  validates docs/api/*.openapi.yaml with
                                              openapi-spec-validator and their examples
                                              against their schemas
  check-contracts.py asyncapi                 docs/events/asyncapi.yaml parses, is 3.0.0,
                                              names every event type and topic of the code,
                                              its references resolve, its examples validate
  check-contracts.py all                      schemas, openapi and asyncapi
  check-contracts.py response SERVICE METHOD PATH STATUS CONTENT_TYPE FILE
                                              holds one real response to the service's
                                              docs/api/SERVICE.openapi.yaml: PATH (as sent;
                                              the query string is ignored) matches a path
                                              template, METHOD is documented there, STATUS
                                              (or its 4XX range, or default) is documented,
                                              CONTENT_TYPE is documented for it, and the body
                                              in FILE ('-' reads standard input; an empty
                                              FILE and CONTENT_TYPE '' mean no body)
                                              validates against that schema
  check-contracts.py responses MANIFEST.json  the same for many responses in one process:
                                              MANIFEST is a JSON array of objects
                                              {service, method, path, status, contentType,
                                              body}, body being the parsed JSON value (a
                                              string for a body that is not JSON, null or
                                              absent for none); every failure is printed

Exit status: 0 when everything holds, 1 when something does not (each reason is
printed), 2 on wrong usage. Needs jsonschema (with referencing), openapi-spec-validator
and PyYAML. Nothing is fetched from the network: $refs to the schemas' https:// ids are
served from the files in docs/events/schemas/, $refs to other files are read from disk,
and any other $ref fails.
"""

from __future__ import annotations

import json
import re
import sys
from urllib.parse import quote, unquote, urljoin, urlsplit
from pathlib import Path
from typing import Any, Iterator

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "docs" / "events" / "schemas"
EXAMPLE_DIR = ROOT / "docs" / "events" / "examples"
ASYNCAPI = ROOT / "docs" / "events" / "asyncapi.yaml"
API_DIR = ROOT / "docs" / "api"
EVENTS_SWIFT = ROOT / "Shared" / "Contracts" / "InitiativeEvents.swift"
TOPICS_SWIFT = ROOT / "Shared" / "Contracts" / "Topics.swift"
SERVICES = ["intake", "analysis", "prioritisation", "benefits", "notifications"]
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class Failures:
    """Collects reasons; a check reports all it finds rather than stopping at the first."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def add(self, reason: str) -> None:
        self.reasons.append(reason)
        print(f"FAIL {reason}")

    def ok(self, what: str) -> None:
        print(f"ok   {what}")


# ---------------------------------------------------------------------------
# What the Swift code declares


def event_contracts() -> dict[str, str]:
    """Maps each `eventType` literal in Shared/Contracts/*.swift to its schema URI."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(EVENTS_SWIFT.parent.glob("*.swift")))
    base_match = re.search(r'let\s+schemaBase\s*=\s*"([^"]+)"', text)
    base = base_match.group(1) if base_match else ""
    contracts: dict[str, str] = {}
    # Each contract declares its eventType and then its schemaURI; pair them in order.
    for match in re.finditer(
        r'static\s+let\s+eventType\s*=\s*"([^"]+)"\s*'
        r'(?:public\s+)?static\s+let\s+schemaURI\s*=\s*(?:schemaBase\s*\+\s*)?"([^"]+)"',
        text,
    ):
        event_type, uri = match.groups()
        contracts[event_type] = uri if uri.startswith("http") else base + uri
    # Any eventType literal the pairing above missed still counts as an event type.
    for event_type in re.findall(r'eventType\s*=\s*"([^"]+)"', text):
        contracts.setdefault(event_type, "")
    return contracts


def topics() -> tuple[list[str], list[str]]:
    """The topic literals of Topics.swift and its dead-letter address patterns
    (`"styrbord.dlq.\\(service)"` becomes `styrbord.dlq.{service}`)."""
    text = TOPICS_SWIFT.read_text(encoding="utf-8")
    plain = re.findall(r'static\s+let\s+\w+\s*=\s*"([^"\\]+)"', text)
    patterns = [
        re.sub(r"\\\((\w+)\)", r"{\1}", literal)
        for literal in re.findall(r'"([^"]*\\\(\w+\)[^"]*)"', text)
        if literal.startswith("styrbord.")
    ]
    return plain, patterns


# ---------------------------------------------------------------------------
# Event schemas


def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def refuse_retrieval(uri: str) -> Resource:
    # Everything the schemas reference is in docs/events/schemas; never go to the network.
    raise NoSuchResource(ref=uri)


def schema_registry(retrieve=None) -> tuple[Registry, dict[str, dict]]:
    """A registry serving every schema file under its $id, and the schemas by file name;
    any other URI goes to `retrieve`, which by default refuses it."""
    schemas: dict[str, dict] = {}
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = load_json(path)
        schemas[path.name] = contents
        if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
            resources.append((contents["$id"], DRAFT202012.create_resource(contents)))
    return Registry(retrieve=retrieve or refuse_retrieval).with_resources(resources), schemas


def walk_refs(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Yields (JSON pointer, $ref value) for every $ref below node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield pointer or "/", value
            else:
                yield from walk_refs(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_refs(value, f"{pointer}/{index}")


def check_schemas(failures: Failures) -> None:
    registry, schemas = schema_registry()
    if not schemas:
        failures.add(f"no schema files in {SCHEMA_DIR.relative_to(ROOT)}")
        return
    for name, schema in schemas.items():
        where = f"docs/events/schemas/{name}"
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            failures.add(f"{where}: not a valid 2020-12 schema: {error.message} at {list(error.absolute_path)}")
            continue
        if schema.get("$schema") != DIALECT:
            failures.add(f"{where}: $schema must be {DIALECT}")
            continue
        schema_id = schema.get("$id", "")
        if not schema_id.endswith("/" + name):
            failures.add(f"{where}: $id {schema_id!r} does not end in /{name}")
            continue
        resolver = registry.resolver(base_uri=schema_id)
        broken = False
        for pointer, ref in walk_refs(schema):
            try:
                resolver.lookup(ref)
            except Unresolvable as error:
                failures.add(f"{where}: $ref {ref!r} at {pointer} does not resolve ({error})")
                broken = True
        if not broken:
            failures.ok(f"{where} is a valid 2020-12 schema; its $refs resolve")

    # Each contract of the code has its schema file, with the code's schemaURI as $id.
    for event_type, uri in event_contracts().items():
        if not uri:
            failures.add(f"{event_type}: no schemaURI found next to it in {EVENTS_SWIFT.relative_to(ROOT)}")
            continue
        name = uri.rsplit("/", 1)[-1]
        schema = schemas.get(name)
        if schema is None:
            failures.add(f"{event_type}: schema file docs/events/schemas/{name} is missing")
        elif schema.get("$id") != uri:
            failures.add(f"{event_type}: docs/events/schemas/{name} has $id {schema.get('$id')!r}, the code says {uri!r}")
        else:
            failures.ok(f"{event_type} has docs/events/schemas/{name} with $id = schemaURI")

    # The hand-made samples (one per event type, named like the schema) validate.
    for path in sorted(EXAMPLE_DIR.glob("*.json")):
        event_type = next((t for t, uri in event_contracts().items() if uri.endswith("/" + path.name)), None)
        if event_type is None:
            failures.add(f"docs/events/examples/{path.name}: no event type has a schema of that name")
            continue
        check_event_data(event_type, [str(path)], failures)


def validator_for(event_type: str) -> Draft202012Validator:
    contracts = event_contracts()
    if event_type not in contracts:
        by_short = {t.removeprefix("se.goteborg.styrbord."): t for t in contracts}
        if event_type not in by_short:
            known = ", ".join(sorted(contracts))
            raise LookupError(f"unknown event type {event_type!r}; known: {known}")
        event_type = by_short[event_type]
    uri = contracts[event_type]
    registry, _ = schema_registry()
    try:
        schema = registry.contents(uri)
    except (NoSuchResource, Unresolvable):
        raise LookupError(f"no schema with $id {uri} in docs/events/schemas for {event_type}") from None
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def shown(path: Path) -> str:
    """A path as the reader knows it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def describe(error) -> str:
    location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(data)"
    return f"{location.lstrip('.')}: {error.message}"


def check_event_data(event_type: str, files: list[str], failures: Failures) -> None:
    try:
        validator = validator_for(event_type)
    except LookupError as error:
        failures.add(str(error))
        return
    for name in files or ["-"]:
        label = "standard input" if name == "-" else shown(Path(name))
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
            data = json.loads(text)
        except OSError as error:
            failures.add(f"{label}: cannot read: {error.strerror}")
            continue
        except json.JSONDecodeError as error:
            failures.add(f"{label}: not JSON: {error}")
            continue
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            for error in errors:
                failures.add(f"{label}: not a valid {event_type}: {describe(error)}")
        else:
            failures.ok(f"{label} is a valid {event_type}")


# ---------------------------------------------------------------------------
# YAML documents and their local references


def load_yaml(path: Path, failures: Failures) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as error:
        failures.add(f"{path.relative_to(ROOT)}: cannot read: {error.strerror}")
    except yaml.YAMLError as error:
        failures.add(f"{path.relative_to(ROOT)}: not YAML: {error}")
    return None


def resolve_pointer(document: Any, pointer: str) -> Any:
    node = document
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def check_references(document: Any, path: Path, failures: Failures) -> bool:
    """Every internal $ref points into the document; every file $ref names an existing file."""
    label = path.relative_to(ROOT)
    healthy = True
    for pointer, ref in walk_refs(document):
        target, _, fragment = ref.partition("#")
        if target:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                failures.add(f"{label}: $ref {ref!r} at {pointer} leaves the repository")
                healthy = False
                continue
            file = (path.parent / target).resolve()
            if not file.is_file():
                failures.add(f"{label}: $ref {ref!r} at {pointer} names a missing file")
                healthy = False
            continue
        try:
            resolve_pointer(document, fragment)
        except (KeyError, IndexError, ValueError, TypeError):
            failures.add(f"{label}: $ref {ref!r} at {pointer} does not resolve")
            healthy = False
    return healthy


def document_validator(document: Any, uri: str, schema_pointer: str, registry: Registry) -> Draft202012Validator:
    """Validates against the schema at `schema_pointer` inside a YAML document whose own
    `#/components/...` references must resolve against that document."""
    registry = registry.with_resource(uri, DRAFT202012.create_resource(document))
    wrapper = {"$schema": DIALECT, "$ref": f"{uri}#{schema_pointer}"}
    return Draft202012Validator(wrapper, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def json_pointer(*parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


# ---------------------------------------------------------------------------
# OpenAPI


def check_openapi(failures: Failures) -> None:
    for service in SERVICES:
        path = API_DIR / f"{service}.openapi.yaml"
        label = path.relative_to(ROOT)
        if not path.is_file():
            failures.add(f"{label} is missing")
            continue
        document = load_yaml(path, failures)
        if document is None:
            continue
        if document.get("openapi") != "3.1.0":
            failures.add(f"{label}: openapi must be 3.1.0, is {document.get('openapi')!r}")
            continue
        try:
            validate_openapi(document, base_uri=path.as_uri())
        except Exception as error:  # the validator raises its own exception types
            failures.add(f"{label}: {type(error).__name__}: {getattr(error, 'message', error)}")
            continue
        if not check_references(document, path, failures):
            continue
        # Every /v1 operation needs a bearer token; the probes and /metrics need none.
        for route, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if method not in ("get", "put", "post", "delete", "patch") or not isinstance(operation, dict):
                    continue
                effective = operation.get("security", document.get("security", []))
                if route.startswith("/v1") and not effective:
                    failures.add(f"{label}: {method.upper()} {route} must require the bearer token")
                if not route.startswith("/v1") and effective:
                    failures.add(f"{label}: {method.upper()} {route} must not require a token (probes and metrics)")
        schemes = document.get("components", {}).get("securitySchemes", {}).values()
        if not any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes):
            failures.add(f"{label}: declares no bearer security scheme")
        failures.ok(f"{label} is a valid OpenAPI {document['openapi']} document")
        check_routes(service, document, path, failures)
        check_openapi_examples(document, path, failures)


def implemented_routes(service: str) -> tuple[set[tuple[str, str]], int | None]:
    """The (method, path) pairs a service's Swift sources and the shared health routes
    register, with `:name` written `{name}`, and the service's default port."""
    routes: set[tuple[str, str]] = set()
    port = None
    sources = sorted((ROOT / "services" / service / "Sources").rglob("*.swift"))
    sources.append(ROOT / "Shared" / "ServiceKit" / "Health" / "HealthRoutes.swift")
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for method, route in re.findall(r'router\.(get|post|put|patch|delete)\("([^"]+)"', text):
            routes.add((method, "/" + re.sub(r":(\w+)", r"{\1}", route.strip("/"))))
        found = re.search(r'name:\s*"' + re.escape(service) + r'",\s*defaultPort:\s*(\d+)', text)
        if found:
            port = int(found.group(1))
    return routes, port


def check_routes(service: str, document: dict, path: Path, failures: Failures) -> None:
    """The document describes exactly the routes the service registers, on its port."""
    label = path.relative_to(ROOT)
    implemented, port = implemented_routes(service)
    described = {
        (method, route)
        for route, item in document.get("paths", {}).items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    for method, route in sorted(implemented - described):
        failures.add(f"{label}: the service serves {method.upper()} {route}, the document does not describe it")
    for method, route in sorted(described - implemented):
        failures.add(f"{label}: describes {method.upper()} {route}, which the service does not serve")
    urls = [server.get("url", "") for server in document.get("servers", [])]
    if port is not None and f"http://127.0.0.1:{port}" not in urls:
        failures.add(f"{label}: no server http://127.0.0.1:{port} (the service's default port)")
    if implemented == described:
        where = f"on port {port}" if port is not None else "(default port not found in the code, not compared)"
        failures.ok(f"{label} describes exactly the {len(implemented)} routes the service serves, {where}")


def example_holders(node: Any, parts: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """Yields every media type, parameter or header object (anything with a `schema`
    beside an `example` or `examples`), wherever it sits in an OpenAPI document."""
    if isinstance(node, dict):
        if isinstance(node.get("schema"), dict) and ("example" in node or "examples" in node):
            yield parts, node
        for key, value in node.items():
            if parts == ("components",) and key == "schemas":
                continue
            yield from example_holders(value, parts + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from example_holders(value, parts + (index,))


def check_openapi_examples(document: dict, path: Path, failures: Failures) -> None:
    """Every example of a request, response, parameter or header matches its schema."""
    label = path.relative_to(ROOT)
    uri = f"urn:styrbord:openapi:{path.stem}"
    registry = Registry(retrieve=refuse_retrieval)
    count = 0
    for parts, holder in example_holders(document):
        examples = []
        if "example" in holder:
            examples.append(("example", holder["example"]))
        for name, example in (holder.get("examples") or {}).items():
            if "$ref" in example:
                example = resolve_pointer(document, example["$ref"].partition("#")[2])
            if "value" in example:
                examples.append((name, example["value"]))
        validator = document_validator(document, uri, json_pointer(*parts, "schema"), registry)
        for name, value in examples:
            count += 1
            for error in validator.iter_errors(value):
                failures.add(f"{label}: example {name!r} at {json_pointer(*parts)}: {describe(error)}")
    failures.ok(f"{label}: {count} examples checked against their schemas")


# ---------------------------------------------------------------------------
# AsyncAPI


def check_asyncapi(failures: Failures) -> None:
    label = ASYNCAPI.relative_to(ROOT)
    document = load_yaml(ASYNCAPI, failures)
    if document is None:
        return
    if not isinstance(document, dict) or document.get("asyncapi") != "3.0.0":
        failures.add(f"{label}: asyncapi must be 3.0.0, is {document.get('asyncapi') if isinstance(document, dict) else None!r}")
        return
    failures.ok(f"{label} parses and is AsyncAPI 3.0.0")
    missing = [f for f in ("info", "servers", "channels", "operations", "components") if not isinstance(document.get(f), dict)]
    for field in missing:
        failures.add(f"{label}: has no {field} object")
    if missing:
        return
    references_resolve = check_references(document, ASYNCAPI, failures)
    if references_resolve:
        failures.ok(f"{label}: every $ref resolves and every referenced file exists")

    messages = document["components"].get("messages", {})
    names = {message.get("name") for message in messages.values() if isinstance(message, dict)}
    for event_type in event_contracts():
        if event_type in names:
            failures.ok(f"{label} has a message named {event_type}")
        else:
            failures.add(f"{label}: no message is named {event_type}")

    addresses = {channel.get("address") for channel in document["channels"].values() if isinstance(channel, dict)}
    plain, patterns = topics()
    for topic in plain + patterns:
        if topic in addresses:
            failures.ok(f"{label} has a channel for {topic}")
        else:
            failures.add(f"{label}: no channel has the address {topic}")

    for name in ("local", "production"):
        if name not in document["servers"]:
            failures.add(f"{label}: no server named {name}")
    if document["servers"].get("local", {}).get("host") != "127.0.0.1:59092":
        failures.add(f"{label}: the local server must be 127.0.0.1:59092")

    for operation_id, operation in document["operations"].items():
        if operation.get("action") not in {"send", "receive"}:
            failures.add(f"{label}: operation {operation_id} has action {operation.get('action')!r}")
        channel_ref = operation.get("channel", {}).get("$ref", "")
        for message in operation.get("messages", []):
            if not message.get("$ref", "").startswith(channel_ref + "/messages/"):
                failures.add(f"{label}: operation {operation_id} names {message.get('$ref')}, not a message of its channel")

    if references_resolve:
        check_asyncapi_examples(document, failures)


def check_asyncapi_examples(document: dict, failures: Failures) -> None:
    """Validates every message example: payload, headers and Kafka key."""
    label = ASYNCAPI.relative_to(ROOT)
    uri = "urn:styrbord:asyncapi"
    registry, _ = schema_registry()
    count = 0
    for message_id, message in document["components"].get("messages", {}).items():
        payload_ref = message.get("payload", {}).get("$ref", "")
        payload_validator = None
        if payload_ref and not payload_ref.startswith("#"):
            schema = load_json((ASYNCAPI.parent / payload_ref).resolve())
            payload_validator = Draft202012Validator(
                schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
        elif "payload" in message:
            payload_validator = document_validator(
                document, uri, json_pointer("components", "messages", message_id, "payload"), registry)
        header_validator = (
            document_validator(document, uri, json_pointer("components", "messages", message_id, "headers"), registry)
            if "headers" in message else None)
        key_schema = message.get("bindings", {}).get("kafka", {}).get("key")
        key_validator = (
            document_validator(
                document, uri, json_pointer("components", "messages", message_id, "bindings", "kafka", "key"), registry)
            if key_schema is not None else None)
        for index, example in enumerate(message.get("examples", [])):
            where = f"{label}: message {message_id} example {example.get('name', index)!r}"
            checks = [("payload", payload_validator), ("headers", header_validator)]
            for part, validator in checks:
                if part in example and validator is not None:
                    count += 1
                    for error in validator.iter_errors(example[part]):
                        failures.add(f"{where} {part}: {describe(error)}")
            key = example.get("x-kafka-key")
            if key is not None and key_validator is not None:
                count += 1
                for error in key_validator.iter_errors(key):
                    failures.add(f"{where} key: {describe(error)}")
    failures.ok(f"{label}: {count} example parts (payloads, headers, keys) checked against their schemas")


# ---------------------------------------------------------------------------
# Real responses against the OpenAPI documents

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def read_local_document(uri: str) -> Resource:
    """Serves $refs to files (`file://` URIs, YAML or JSON) from disk; refuses anything else,
    so validating a response never touches the network."""
    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise NoSuchResource(ref=uri)
    try:
        with open(unquote(parts.path), encoding="utf-8") as handle:
            contents = yaml.safe_load(handle)  # JSON is YAML too
    except (OSError, yaml.YAMLError):
        raise NoSuchResource(ref=uri) from None
    return Resource.from_contents(contents, default_specification=DRAFT202012)


class ApiDocument:
    """One service's OpenAPI document, ready to hold responses to it. The document is
    registered under its file:// URI, so `#/components/...` references resolve inside it
    and relative references (`schemas/x.yaml#/Y`) resolve to files beside it."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.path = API_DIR / f"{service}.openapi.yaml"
        self.label = shown(self.path)
        with self.path.open(encoding="utf-8") as handle:
            self.document = yaml.safe_load(handle)
        if not isinstance(self.document, dict) or not isinstance(self.document.get("paths"), dict):
            raise ValueError(f"{self.label} has no paths object")
        self.uri = self.path.resolve().as_uri()
        # The event schemas under their https:// ids, this document, and files on demand.
        events, _ = schema_registry(retrieve=read_local_document)
        self.registry = events.with_resource(self.uri, DRAFT202012.create_resource(self.document))
        self.files: dict[str, Any] = {self.uri: self.document}
        self.validators: dict[str, Draft202012Validator] = {}
        self.prefixes = sorted(
            {urlsplit(server.get("url", "")).path.rstrip("/")
             for server in self.document.get("servers", []) if isinstance(server, dict)} - {""},
            key=len, reverse=True)
        self.templates = []
        for template in self.document["paths"]:
            pattern = "".join(
                "[^/]+" if piece.startswith("{") else re.escape(piece)
                for piece in re.split(r"(\{[^}/]+\})", template))
            self.templates.append((template, re.compile(pattern + r"\Z"), template.count("{")))

    # OpenAPI's own reference objects (responses, path items, examples may be $refs)

    def file_contents(self, uri: str) -> Any:
        if uri not in self.files:
            self.files[uri] = read_local_document(uri).contents
        return self.files[uri]

    def follow(self, node: Any, base: str, pointer: str) -> tuple[Any, str, str]:
        """Follows $ref objects until a plain object; returns it with the file URI and the
        JSON pointer where it sits (schemas below it are validated from there)."""
        seen = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target, _, fragment = node["$ref"].partition("#")
            base = urljoin(base, target) if target else base
            pointer = unquote(fragment)
            if (base, pointer) in seen:
                raise LookupError(f"$ref cycle at {node['$ref']!r}")
            seen.add((base, pointer))
            try:
                node = resolve_pointer(self.file_contents(base), pointer)
            except (NoSuchResource, KeyError, IndexError, ValueError, TypeError):
                raise LookupError(f"$ref {node['$ref']!r} does not resolve") from None
        return node, base, pointer

    def validator(self, base: str, pointer: str) -> Draft202012Validator:
        # The fragment is percent-encoded: a path template may hold `%`, `#` or spaces.
        key = f"{base}#{quote(pointer, safe='/~{}!$&()*+,;=:@')}"
        if key not in self.validators:
            wrapper = {"$schema": DIALECT, "$ref": key}
            self.validators[key] = Draft202012Validator(
                wrapper, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return self.validators[key]

    # Matching a request and its response

    def match_path(self, raw: str) -> str | None:
        """The path template a concrete request path falls under: one without templates wins
        over templated ones (OpenAPI's rule), then the one with fewest templates."""
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", raw):
            raw = urlsplit(raw).path or "/"
        path = raw.split("#", 1)[0].split("?", 1)[0] or "/"
        candidates = [path] + [path[len(p):] or "/" for p in self.prefixes if path.startswith(p + "/") or path == p]
        for candidate in candidates:
            matches = sorted((count, template) for template, regex, count in self.templates
                             if regex.match(candidate))
            if matches:
                return matches[0][1]
        return None

    def check(self, method: str, raw_path: str, status: Any, content_type: str | None, body: Any,
              has_body: bool) -> list[str]:
        """Every way the response departs from the document; empty when it conforms."""
        template = self.match_path(raw_path)
        if template is None:
            return [f"path {raw_path.split('?', 1)[0]!r} matches no path of {self.label} "
                    f"(documented: {', '.join(self.document['paths'])})"]
        try:
            item, base, pointer = self.follow(
                self.document["paths"][template], self.uri, json_pointer("paths", template))
        except LookupError as error:
            return [f"{self.label}: path {template}: {error}"]
        if not isinstance(item, dict):
            return [f"{self.label}: path {template} is not a path item"]
        verb = method.lower()
        documented = [m.upper() for m in HTTP_METHODS if m in item]
        if verb not in item:
            return [f"method {method.upper()} is not documented for {template} "
                    f"(documented: {', '.join(documented) or 'none'})"]
        operation = item[verb]
        responses = operation.get("responses") or {}
        codes = {str(code).upper(): code for code in responses}
        status_text = str(status)
        if not re.fullmatch(r"[1-5][0-9][0-9]", status_text):
            return [f"status {status_text!r} is not an HTTP status code"]
        where = f"{method.upper()} {template}"
        for key in (status_text, status_text[0] + "XX", "DEFAULT"):
            if key in codes:
                documented_key = codes[key]
                break
        else:
            return [f"status {status_text} is not documented for {where} "
                    f"(documented: {', '.join(str(c) for c in responses) or 'none'})"]
        try:
            response, base, pointer = self.follow(
                responses[documented_key], base, pointer + json_pointer(verb, "responses", documented_key))
        except LookupError as error:
            return [f"{self.label}: response {documented_key} of {where}: {error}"]
        where = f"{where} {documented_key}"
        content = response.get("content") or {}
        media = (content_type or "").strip()
        if not content:
            if has_body or media:
                return [f"{where} documents no body, the response has one"
                        f"{' (' + media + ')' if media else ''}"]
            return []
        if not media:
            return [f"{where} documents a body ({', '.join(content)}), the response has "
                    f"{'no Content-Type' if has_body else 'none'}"]
        key = match_media_type(media, list(content))
        if key is None:
            return [f"content type {media!r} is not documented for {where} (documented: {', '.join(content)})"]
        media_object = content[key] or {}
        if "schema" not in media_object:
            return []
        if not has_body:
            return [f"{where} {key} has no body"]
        schema_pointer = pointer + json_pointer("content", key, "schema")
        errors = sorted(self.validator(base, schema_pointer).iter_errors(body),
                        key=lambda e: [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in e.absolute_path])
        return [f"body does not match {where} {key}: {explain(error)}" for error in errors]


def media_essence(value: str) -> tuple[str, list[str]]:
    """`Application/JSON; charset=UTF-8` becomes ('application/json', ['charset=utf-8'])."""
    essence, *parameters = [part.strip() for part in value.split(";")]
    return essence.lower(), sorted(p.replace(" ", "").lower() for p in parameters if p)


def match_media_type(received: str, documented: list[str]) -> str | None:
    """The documented media type range that covers the received Content-Type, most specific
    first: the same type with the same parameters, the same type, `type/*`, then `*/*`.
    A documented type with parameters only covers a response carrying them."""
    essence, parameters = media_essence(received)
    ranked = []
    for key in documented:
        key_essence, key_parameters = media_essence(key)
        if not set(key_parameters) <= set(parameters):
            continue
        main, _, sub = key_essence.partition("/")
        if key_essence == essence:
            rank = 0 if key_parameters == parameters else 1
        elif sub == "*" and main == essence.partition("/")[0]:
            rank = 2
        elif key_essence == "*/*":
            rank = 3
        else:
            continue
        ranked.append((rank, -len(key_parameters), key))
    return min(ranked)[2] if ranked else None


def is_json_media(value: str) -> bool:
    essence, _ = media_essence(value)
    return essence == "application/json" or essence.endswith("+json")


def json_path(parts) -> str:
    return "$" + "".join(
        f"[{p}]" if isinstance(p, int) else (f".{p}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(p)) else f"[{json.dumps(p)}]")
        for p in parts)


def explain(error, depth: int = 0) -> str:
    """A validation error with where it is in the body and which schema keyword failed;
    for anyOf/oneOf, what each alternative said."""
    keyword_path = "/".join(str(p) for p in error.schema_path)
    message = error.message
    for value in (error.instance, error.validator_value):
        # Messages repeat the whole instance or subschema; the path says where it is.
        text = repr(value)
        if len(text) > 120 and text in message:
            message = message.replace(text, text[:100] + " …" + text[-1])
    text = f"at {json_path(error.absolute_path)}: {message} (schema {keyword_path})"
    if error.context and depth < 2:
        alternatives = sorted(error.context, key=lambda e: (list(e.schema_path)[:1], list(e.absolute_path)))
        text += "".join(f"\n       - {explain(sub, depth + 1)}" for sub in alternatives)
    return text


_documents: dict[str, ApiDocument] = {}


def api_document(service: str) -> ApiDocument:
    if service not in SERVICES:
        raise LookupError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    if service not in _documents:
        _documents[service] = ApiDocument(service)
    return _documents[service]


def check_response(service: str, method: str, path: str, status: Any, content_type: str | None,
                   body: Any, has_body: bool, failures: Failures, label: str = "") -> bool:
    what = f"{label}{service} {method.upper()} {path} → {status} {content_type or '(no content type)'}"
    try:
        document = api_document(service)
        reasons = document.check(method, path, status, content_type, body, has_body)
    except (LookupError, OSError, ValueError, yaml.YAMLError) as error:
        reasons = [str(error)]
    if reasons:
        for reason in reasons:
            failures.add(f"{what}: {reason}")
        return False
    failures.ok(f"{what} matches {document.label}")
    return True


def read_body(content_type: str, text: str) -> tuple[Any, bool, str | None]:
    """(body, whether there is one, why it cannot be read) for a body as received."""
    if text == "":
        return None, False, None
    if content_type and is_json_media(content_type):
        try:
            return json.loads(text), True, None
        except json.JSONDecodeError as error:
            return None, True, f"the {media_essence(content_type)[0]} body is not JSON: {error}"
    return text, True, None


def check_response_file(arguments: list[str], failures: Failures) -> None:
    service, method, path, status, content_type, name = arguments
    what = f"{service} {method.upper()} {path} → {status} {content_type or '(no content type)'}"
    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        text = raw.decode("utf-8")
    except OSError as error:
        failures.add(f"{what}: cannot read {name}: {error.strerror}")
        return
    except UnicodeDecodeError as error:
        failures.add(f"{what}: {name} is not UTF-8: {error}")
        return
    body, has_body, problem = read_body(content_type, text)
    if problem:
        failures.add(f"{what}: {problem}")
        return
    check_response(service, method, path, status, content_type, body, has_body, failures)


def check_response_manifest(name: str, failures: Failures) -> None:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        entries = json.loads(text)
    except OSError as error:
        failures.add(f"{name}: cannot read: {error.strerror}")
        return
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        failures.add(f"{name}: not JSON: {error}")
        return
    if not isinstance(entries, list):
        failures.add(f"{name}: must be a JSON array of responses, is {type(entries).__name__}")
        return
    passed = 0
    for index, entry in enumerate(entries):
        label = f"[{index}] "
        if not isinstance(entry, dict):
            failures.add(f"{label}not an object")
            continue
        wrong = [key for key, kind in (("service", str), ("method", str), ("path", str), ("status", (int, str)))
                 if not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool)]
        content_type = entry.get("contentType")
        if content_type is not None and not isinstance(content_type, str):
            wrong.append("contentType")
        if wrong:
            failures.add(f"{label}missing or mistyped: {', '.join(wrong)}")
            continue
        body = entry.get("body")
        has_body = body is not None and body != ""
        if check_response(entry["service"], entry["method"], entry["path"], entry["status"], content_type,
                          body, has_body, failures, label):
            passed += 1
    print(f"{passed} of {len(entries)} responses match their documents")


# ---------------------------------------------------------------------------


def main(arguments: list[str]) -> int:
    if not arguments or arguments[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0 if arguments else 2
    command, rest = arguments[0], arguments[1:]
    failures = Failures()
    if command == "schemas" and not rest:
        check_schemas(failures)
    elif command == "event" and rest:
        check_event_data(rest[0], rest[1:], failures)
    elif command == "openapi" and not rest:
        check_openapi(failures)
    elif command == "asyncapi" and not rest:
        check_asyncapi(failures)
    elif command == "response" and len(rest) == 6:
        check_response_file(rest, failures)
    elif command == "responses" and len(rest) == 1:
        check_response_manifest(rest[0], failures)
    elif command == "all" and not rest:
        check_schemas(failures)
        check_openapi(failures)
        check_asyncapi(failures)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if failures.reasons:
        print(f"{len(failures.reasons)} problem(s) found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
