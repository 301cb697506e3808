#!/usr/bin/env python3
"""Extract the Exchange-restore subset of the official VB365 REST API specs.

How to run (from the repository root; python3, standard library only):

    python3 tests/spec/extract.py                 # reads ../shared/vb365-openapi/
    python3 tests/spec/extract.py /path/to/specs  # a directory holding vb365_rest_v{6,7,8}.json

It rewrites tests/spec/vb365_subset.json, which tests/support/spec.rs loads to validate the
emulator's responses (tests/spec_conformance.rs). Re-run it whenever OPERATIONS below or the
upstream spec files change, and commit the result. The output is deterministic (sorted keys).

For every version (v6, v7, v8) and every operation in OPERATIONS that the version's spec has,
the output records:

- the declared query parameter names,
- the request body (content types and schema), when there is one,
- every declared response status (including "default") with its content types and schema.

Schemas are converted from OpenAPI 3.0 to JSON Schema draft 7:

- `$ref: #/components/schemas/X` becomes `#/definitions/vN_X`; every transitively referenced
  component lands in the top-level `definitions` (shared by all versions, hence the prefix);
- `nullable: true` allows null (`type: [t, "null"]`; a `$ref` becomes
  `anyOf: [{$ref}, {type: null}]`; an enum also gets `null` added to its values);
- OpenAPI-only and annotation keywords are dropped (`x-*` such as `x-anyOf`, `example(s)`,
  `readOnly`, `writeOnly`, `discriminator`, `xml`, `externalDocs`, `deprecated`, and
  `description` to keep the file small);
- STRICT MODE: every object schema with `properties` and no `additionalProperties` gets
  `additionalProperties: false`, so a misnamed or invented field fails validation. The
  "composed" schemas (e.g. `RESTExchangeItemsComposed`, whose `x-anyOf` lists per-type schemas)
  are validated against their own `properties`, which are the union of the per-type ones.
"""

import hashlib
import json
import os
import sys

VERSIONS = ["v6", "v7", "v8"]

RS = "RestoreSessions/{restoreSessionId}"
MB = RS + "/organization/mailboxes/{mailboxId}"

# (method, path template without the /vN prefix). Operations a version lacks are skipped
# (and listed in the output's "missing").
OPERATIONS = [
    ("post", "token"),
    ("post", "token/logout"),
    ("get", "ServiceInstance"),
    ("get", "Organizations"),
    ("get", "RestorePoints"),
    ("get", "Jobs/{jobId}"),
    ("get", "BackupRepositories/{repositoryId}"),
    ("post", "Organizations/{organizationId}/explore"),
    ("get", "RestoreSessions"),
    ("post", RS + "/Stop"),
    ("get", RS + "/Events"),
    ("get", RS + "/Statistics"),
    ("post", RS + "/organization/restoreDeviceCode"),
    ("get", RS + "/organization/mailboxes"),
    ("post", RS + "/organization/mailboxes/search"),
    ("get", MB),
    ("get", MB + "/folders"),
    ("get", MB + "/folders/{folderId}"),
    ("get", MB + "/items"),
    ("get", MB + "/items/{itemId}"),
    ("post", MB + "/items/restoreTo"),
    ("post", MB + "/items/{itemId}/restoreTo"),
    ("post", MB + "/folders/{folderId}/restoreTo"),
    ("post", MB + "/restoreTo"),
    ("post", MB + "/items/restore"),
    ("post", MB + "/folders/{folderId}/restore"),
    ("post", MB + "/items/exportToPst"),
    ("post", MB + "/items/Save"),
    ("post", MB + "/items/sendToDefaultAddress"),
    ("post", MB + "/items/sendToDifferentAddress"),
    ("post", MB + "/search"),
    ("post", MB + "/folders/{folderId}/search"),
]

DROP_KEYWORDS = {
    "example",
    "examples",
    "readOnly",
    "writeOnly",
    "discriminator",
    "xml",
    "externalDocs",
    "deprecated",
    "description",
}

COMPONENT_PREFIX = "#/components/schemas/"


def def_name(version, component):
    return "%s_%s" % (version, component)


class Converter:
    """Converts the schemas of one version's spec, collecting referenced components."""

    def __init__(self, version, spec):
        self.version = version
        self.components = spec.get("components", {}).get("schemas", {})
        self.pending = []
        self.seen = set()

    def ref(self, target):
        if not target.startswith(COMPONENT_PREFIX):
            raise SystemExit("%s: unsupported $ref %r" % (self.version, target))
        name = target[len(COMPONENT_PREFIX) :]
        if name not in self.components:
            raise SystemExit("%s: dangling $ref %r" % (self.version, target))
        if name not in self.seen:
            self.seen.add(name)
            self.pending.append(name)
        return "#/definitions/" + def_name(self.version, name)

    def convert(self, schema):
        if isinstance(schema, list):
            return [self.convert(s) for s in schema]
        if not isinstance(schema, dict):
            return schema
        nullable = schema.get("nullable") is True
        out = {}
        for key, value in schema.items():
            if key == "nullable" or key in DROP_KEYWORDS or key.startswith("x-"):
                continue
            if key == "$ref":
                out[key] = self.ref(value)
            elif key == "properties":
                out[key] = {k: self.convert(v) for k, v in value.items()}
            elif key in ("items", "additionalProperties", "not"):
                out[key] = self.convert(value) if isinstance(value, dict) else value
            elif key in ("allOf", "anyOf", "oneOf"):
                out[key] = [self.convert(s) for s in value]
            else:
                # type, format, enum, required, default, minimum, minItems, ...
                out[key] = value
        if "$ref" in out and len(out) > 1:
            # Draft 7 ignores the siblings of $ref: keep them by moving the $ref into allOf.
            target = out.pop("$ref")
            out["allOf"] = [{"$ref": target}] + out.get("allOf", [])
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        if nullable:
            out = self.allow_null(out)
        return out

    @staticmethod
    def allow_null(out):
        if "$ref" in out or "allOf" in out or "anyOf" in out or "oneOf" in out:
            return {"anyOf": [out, {"type": "null"}]}
        if "enum" in out and None not in out["enum"]:
            out["enum"] = out["enum"] + [None]
        t = out.get("type")
        if isinstance(t, str):
            if t != "null":
                out["type"] = [t, "null"]
        elif isinstance(t, list):
            if "null" not in t:
                out["type"] = t + ["null"]
        # No "type": anything goes already, null included (or only the enum, extended above).
        return out

    def definitions(self):
        defs = {}
        while self.pending:
            name = self.pending.pop()
            defs[def_name(self.version, name)] = self.convert(self.components[name])
        return defs


def resolve_param(spec, param):
    ref = param.get("$ref")
    if ref:
        prefix = "#/components/parameters/"
        if not ref.startswith(prefix):
            raise SystemExit("unsupported parameter $ref %r" % ref)
        return spec["components"]["parameters"][ref[len(prefix) :]]
    return param


def resolve_body(spec, body):
    ref = body.get("$ref")
    if ref:
        prefix = "#/components/requestBodies/"
        if not ref.startswith(prefix):
            raise SystemExit("unsupported requestBody $ref %r" % ref)
        return spec["components"]["requestBodies"][ref[len(prefix) :]]
    return body


def resolve_response(spec, resp):
    ref = resp.get("$ref")
    if ref:
        prefix = "#/components/responses/"
        if not ref.startswith(prefix):
            raise SystemExit("unsupported response $ref %r" % ref)
        return spec["components"]["responses"][ref[len(prefix) :]]
    return resp


def content_of(conv, content):
    """{content type: schema} -> {"contentTypes": [...], "schema": converted or None}.

    The subset's operations use one schema per response (or request body) across content
    types; a mismatch is reported rather than silently picking one.
    """
    types = sorted(content.keys())
    schemas = []
    for ct in types:
        s = content[ct].get("schema")
        if s is not None and s not in schemas:
            schemas.append(s)
    if len(schemas) > 1:
        # The token request declares the same schema twice (form and JSON); anything else
        # would need a per-content-type representation.
        raise SystemExit("different schemas per content type: %r" % types)
    return {
        "contentTypes": types,
        "schema": conv.convert(schemas[0]) if schemas else None,
    }


def extract_version(version, spec):
    conv = Converter(version, spec)
    operations = {}
    missing = []
    for method, rel in OPERATIONS:
        path = "/%s/%s" % (version, rel)
        item = spec["paths"].get(path)
        op = item.get(method) if item else None
        if op is None:
            missing.append("%s %s" % (method.upper(), path))
            continue
        params = [resolve_param(spec, p) for p in item.get("parameters", [])]
        params += [resolve_param(spec, p) for p in op.get("parameters", [])]
        entry = {
            "operationId": op.get("operationId"),
            "pathParameters": sorted(p["name"] for p in params if p.get("in") == "path"),
            "queryParameters": sorted(p["name"] for p in params if p.get("in") == "query"),
            "responses": {},
        }
        if "requestBody" in op:
            body = resolve_body(spec, op["requestBody"])
            rb = content_of(conv, body.get("content", {}))
            rb["required"] = bool(body.get("required", False))
            entry["requestBody"] = rb
        for status, resp in op.get("responses", {}).items():
            resp = resolve_response(spec, resp)
            entry["responses"][str(status)] = content_of(conv, resp.get("content", {}))
        operations["%s %s" % (method.upper(), path)] = entry
    return operations, missing, conv.definitions()


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    src_dir = argv[1] if len(argv) > 1 else os.path.join(repo, "..", "shared", "vb365-openapi")
    out_path = os.path.join(here, "vb365_subset.json")

    result = {
        "$comment": "Generated by tests/spec/extract.py from the official VB365 REST API "
        "specs; do not edit by hand, re-run the script.",
        "definitions": {},
        "sources": {},
        "versions": {},
    }
    for version in VERSIONS:
        file_name = "vb365_rest_%s.json" % version
        with open(os.path.join(src_dir, file_name), "rb") as f:
            raw = f.read()
        spec = json.loads(raw)
        operations, missing, defs = extract_version(version, spec)
        result["sources"][version] = {
            "file": file_name,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "title": spec.get("info", {}).get("title"),
            "version": spec.get("info", {}).get("version"),
        }
        result["versions"][version] = {"operations": operations, "missing": missing}
        result["definitions"].update(defs)

    text = json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)
    n_ops = sum(len(v["operations"]) for v in result["versions"].values())
    print(
        "wrote %s: %d operations, %d definitions, %d bytes"
        % (os.path.relpath(out_path), n_ops, len(result["definitions"]), len(text))
    )
    for version in VERSIONS:
        for m in result["versions"][version]["missing"]:
            print("  not in the %s spec: %s" % (version, m))


if __name__ == "__main__":
    main(sys.argv)
