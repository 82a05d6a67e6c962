// Validates every object of the given multi-document YAML files offline, without an API server:
//  - built-in kinds with kubernetes-models' validators (the Kubernetes OpenAPI schemas as JSON Schema);
//  - custom resources against the openAPIV3Schema of a CustomResourceDefinition found among the same objects;
//  - each CRD's printer columns must point at fields its schema has.
// An apiVersion/kind that neither knows is an error, not a skip, and so is a built-in apiVersion that Kubernetes 1.30
// no longer (or not yet) serves: kubernetes-models 4.5.1 is generated from a newer release (1.31) and still ships
// long-removed versions, so the list below pins what a 1.30 API server serves. kubernetes-models' validators check
// types, required fields, enums and formats, not unknown fields. Exits 1 on any error, printing each.
"use strict";
const fs = require("fs");
const YAML = require("yaml");
const Ajv = require("ajv");

const objects = [];
for (const file of process.argv.slice(2)) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    const o = doc.toJS();
    if (o) objects.push({ file, o });
  }
}
if (objects.length === 0) {
  console.error("validate: no objects in " + process.argv.slice(2).join(" "));
  process.exit(1);
}

// The built-in group versions a Kubernetes 1.30 API server serves (beta versions off by default left out).
const SERVED_1_30 = new Set(["v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1",
  "apiregistration.k8s.io/v1", "apps/v1", "authentication.k8s.io/v1", "authorization.k8s.io/v1", "autoscaling/v1",
  "autoscaling/v2", "batch/v1", "certificates.k8s.io/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1",
  "events.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta3",
  "networking.k8s.io/v1", "node.k8s.io/v1", "policy/v1", "rbac.authorization.k8s.io/v1", "scheduling.k8s.io/v1",
  "storage.k8s.io/v1"]);

const crds = new Map(); // "group/version/Kind" -> schema
const errors = [];
for (const { file, o } of objects) {
  if (o.apiVersion === "apiextensions.k8s.io/v1" && o.kind === "CustomResourceDefinition") {
    for (const v of o.spec.versions) {
      crds.set(`${o.spec.group}/${v.name}/${o.spec.names.kind}`, v.schema.openAPIV3Schema);
      for (const c of v.additionalPrinterColumns || []) {
        if (!resolves(v.schema.openAPIV3Schema, c.jsonPath)) {
          errors.push(`${file}: CRD ${o.metadata.name} printer column ${c.name}: ${c.jsonPath} is not in the schema`);
        }
      }
    }
  }
}

// Whether a simple .a.b.c path names a property of the schema (metadata is every object's own).
function resolves(schema, path) {
  const parts = path.replace(/^\./, "").split(".");
  if (parts[0] === "metadata") return true;
  let s = schema;
  for (const p of parts) {
    if (!s || !s.properties || !s.properties[p]) return false;
    s = s.properties[p];
  }
  return true;
}

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat("int32", { type: "number", validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat("int64", { type: "number", validate: (n) => Number.isInteger(n) });
let checked = 0;
for (const { file, o } of objects) {
  const name = `${file}: ${o.kind || "?"} ${(o.metadata && o.metadata.name) || "?"}`;
  if (!o.apiVersion || !o.kind || !o.metadata || !o.metadata.name) {
    errors.push(`${name}: apiVersion, kind and metadata.name are required`);
    continue;
  }
  const crd = crds.get(`${o.apiVersion}/${o.kind}`);
  if (crd) {
    const check = ajv.compile(crd);
    if (check(o)) checked++;
    else errors.push(`${name}: ${ajv.errorsText(check.errors)}`);
    continue;
  }
  if (!SERVED_1_30.has(o.apiVersion)) {
    errors.push(`${name}: apiVersion ${o.apiVersion} is not served by Kubernetes 1.30 nor defined by a CRD here`);
    continue;
  }
  let models;
  try {
    models = require(`kubernetes-models/${o.apiVersion}`); // the core group's "v1" is a module of its own too
  } catch (e) {
    errors.push(`${name}: apiVersion ${o.apiVersion} is unknown to the Kubernetes schemas`);
    continue;
  }
  const Model = models[o.kind];
  if (!Model) {
    errors.push(`${name}: kind ${o.kind} is not in ${o.apiVersion}`);
    continue;
  }
  try {
    new Model(o).validate();
    checked++;
  } catch (e) {
    errors.push(`${name}: ${e.message}`);
  }
}
for (const e of errors) console.error("invalid: " + e);
console.log(`validate: ${checked} of ${objects.length} objects valid`);
process.exit(errors.length ? 1 : 0);
