//! `/openapi.json`, generated from the handlers' `#[utoipa::path]` annotations and the types
//! the requests are read into and the answers are built from (`ToSchema`).
//!
//! The generated document is committed as `catcat-api/openapi.json` and the binary serves that
//! file: building the document at run time took ~0.9 MB of schema-building code in a binary
//! meant to stay under 10 MB (stripped 10,191,608 bytes with it, 9,449,008 with the 167 KB file). A test regenerates it and fails on any difference, so the
//! file cannot drift from the code; `OPENAPI_WRITE=1 cargo test -p catcat-api --lib openapi`
//! rewrites it.

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

/// The API description: its operations are the resources' parts ([`super::documents`]), and
/// [`Bearer`] and [`Envelopes`] complete it.
#[derive(Debug, OpenApi)]
#[openapi(info(
    title = "CatCat API",
    description = "Door-to-door cat sitting. Every answer uses the envelope {success, code, message, data, error?, field?}."
))]
pub struct ApiDoc;

pub(crate) struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
                ),
            );
        }
    }
}

/// What every successful answer looks like ([`super::error::Envelope`]); each operation adds
/// its `data` (an object, an array or a value) beside these.
#[derive(ToSchema)]
#[allow(dead_code)] // described, never built: the handlers build `Envelope`
pub(crate) struct Success {
    /// Always true here.
    success: bool,
    /// The HTTP status.
    code: u16,
    /// For people.
    message: String,
}

/// What every refused request looks like ([`super::error::Envelope`] without `data`).
#[derive(ToSchema)]
#[allow(dead_code)] // described, never built: `ApiError` builds `Envelope`
pub(crate) struct Failure {
    /// Always false here.
    success: bool,
    /// The HTTP status.
    code: u16,
    /// For people.
    message: String,
    /// A stable machine code (the list is exhaustive).
    error: String,
    /// The request field at fault, on 400/422 answers about one field.
    field: Option<String>,
}

/// Gives every response of every operation its body: for 2xx the success envelope, with `data`
/// described by the operation's `body = …` type; the error envelope for the rest.
pub(crate) struct Envelopes;

impl Modify for Envelopes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.insert("Success".into(), Success::schema());
        let mut failure = Failure::schema();
        if let RefOr::T(Schema::Object(object)) = &mut failure
            && let Some(RefOr::T(Schema::Object(error))) = object.properties.get_mut("error")
        {
            error.enum_values =
                Some(super::error::ERROR_CODES.iter().map(|c| (*c).into()).collect());
        }
        components.schemas.insert("Failure".into(), failure);
        for (route, item) in &mut openapi.paths.paths {
            let operations =
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                common_answers(route, operation);
                for (status, response) in &mut operation.responses.responses {
                    let RefOr::T(response) = response else { continue };
                    let data = response.content.shift_remove(JSON).and_then(|c| c.schema);
                    let envelope = if status.starts_with('2') { "Success" } else { "Failure" };
                    let schema: RefOr<Schema> = match data {
                        None => Ref::from_schema_name(envelope).into(),
                        Some(data) => AllOfBuilder::new()
                            .item(Ref::from_schema_name(envelope))
                            .item(ObjectBuilder::new().property("data", data).required("data"))
                            .into(),
                    };
                    response
                        .content
                        .insert(JSON.into(), ContentBuilder::new().schema(Some(schema)).build());
                }
            }
        }
    }
}

const JSON: &str = "application/json";

/// The answers every operation of its kind can give, added where the annotation does not list
/// them already: input problems where there is a body or a query, 413 where there is a body, 401
/// where a token is required, 403 on admin routes, 404 where the path names an object, 429 on
/// every /api route (the per-IP limit).
fn common_answers(route: &str, operation: &mut Operation) {
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let located = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
    let (query, path) = (located(ParameterIn::Query), located(ParameterIn::Path));
    let body = operation.request_body.is_some();
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let admin = operation.tags.as_ref().is_some_and(|t| t.iter().any(|t| t == "admin"));
    let too_large = format!("the body is over {} KiB", super::BODY_LIMIT / 1024);
    let api = route.starts_with("/api/");
    let answers = [
        (body || query, "400", "malformed input"),
        (body || query, "422", "a field breaks a rule; the envelope names it"),
        (body, "413", too_large.as_str()),
        (secured, "401", "no or bad token"),
        (admin, "403", "administrators only"),
        (path, "404", "not found or not visible to the caller"),
        (
            api,
            "429",
            "over a rate limit; Retry-After gives the seconds, RateLimit-Policy the limit",
        ),
    ];
    for (applies, status, description) in answers {
        if applies {
            operation
                .responses
                .responses
                .entry(status.into())
                .or_insert_with(|| ResponseBuilder::new().description(description).build().into());
        }
    }
}

/// The document as the code describes it today (what `openapi.json` must hold).
pub fn generate() -> String {
    let mut doc = ApiDoc::openapi();
    for part in super::documents() {
        doc.merge(part);
    }
    Bearer.modify(&mut doc);
    Envelopes.modify(&mut doc);
    let mut text = doc.to_pretty_json().expect("the document serializes");
    text.push('\n');
    text
}

/// The committed document.
const DOCUMENT: &str = include_str!("../../openapi.json");

pub(crate) async fn document() -> impl IntoResponse {
    ([(CONTENT_TYPE, JSON)], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The machine codes the sources send: string literals right after `conflict(`,
    /// `forbidden(`, `refused(e,`, `code:`, `code =`, `then_some(`, or a match arm's `=>` (not a
    /// `"label" => "value"` pair).
    fn codes_in_sources() -> BTreeSet<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("src is readable") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        let mut codes = BTreeSet::new();
        for file in files {
            if file.ends_with("http/openapi.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("a source file");
            let text = text.split("pub const ERROR_CODES").next().unwrap_or_default().to_owned()
                + text
                    .split("pub const ERROR_CODES")
                    .nth(1)
                    .and_then(|t| t.split_once("];"))
                    .map_or("", |(_, rest)| rest);
            for marker in
                ["conflict(", "forbidden(", "refused(e,", "code:", "code =", "=>", "then_some("]
            {
                for (at, _) in text.match_indices(marker) {
                    if marker == "=>" && text[..at].trim_end().ends_with('"') {
                        continue;
                    }
                    let rest = text[at + marker.len()..].trim_start();
                    let Some(literal) = rest.strip_prefix('"') else { continue };
                    let Some((code, _)) = literal.split_once('"') else { continue };
                    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    {
                        codes.insert(code.to_owned());
                    }
                }
            }
        }
        codes
    }

    #[test]
    fn the_failure_schema_lists_exactly_the_codes_sent() {
        let sent = codes_in_sources();
        let listed: BTreeSet<String> =
            super::super::error::ERROR_CODES.iter().map(|c| (*c).to_owned()).collect();
        assert!(sent.contains("too_late_to_cancel") && sent.contains("admin_only"), "{sent:?}");
        assert_eq!(listed, sent, "ERROR_CODES must be exactly the codes the sources send");
        let doc: serde_json::Value = serde_json::from_str(&super::generate()).expect("JSON");
        let described: BTreeSet<String> =
            doc["components"]["schemas"]["Failure"]["properties"]["error"]["enum"]
                .as_array()
                .expect("an enum of codes")
                .iter()
                .map(|c| c.as_str().expect("a code").to_owned())
                .collect();
        assert_eq!(described, listed);
    }

    /// Every string a request body carries is described with its rule (a pattern, an enum or
    /// a date format): the service refuses NUL everywhere and control characters in most
    /// fields, and a string the document leaves free would be a "valid" request refused.
    #[test]
    fn every_request_string_is_described_with_its_rule() {
        fn resolve<'a>(
            doc: &'a serde_json::Value,
            mut s: &'a serde_json::Value,
        ) -> &'a serde_json::Value {
            while let Some(r) = s["$ref"].as_str() {
                s = &doc["components"]["schemas"][r.rsplit('/').next().unwrap_or_default()];
            }
            s
        }
        fn walk(doc: &serde_json::Value, s: &serde_json::Value, at: &str, free: &mut Vec<String>) {
            let s = resolve(doc, s);
            for key in ["allOf", "oneOf", "anyOf"] {
                for part in s[key].as_array().into_iter().flatten() {
                    walk(doc, part, at, free);
                }
            }
            let string = s["type"] == "string"
                || s["type"].as_array().is_some_and(|t| t.iter().any(|t| t == "string"));
            let ruled = s.get("pattern").is_some()
                || s.get("enum").is_some()
                || matches!(s["format"].as_str(), Some("date" | "date-time"));
            if string && !ruled {
                free.push(at.to_owned());
            }
            for (name, property) in s["properties"].as_object().into_iter().flatten() {
                walk(doc, property, &format!("{at}.{name}"), free);
            }
            if s.get("items").is_some() {
                walk(doc, &s["items"], &format!("{at}[]"), free);
            }
        }
        let doc: serde_json::Value = serde_json::from_str(&super::generate()).expect("JSON");
        let mut free = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("operations") {
                let body = &operation["requestBody"]["content"]["application/json"]["schema"];
                if !body.is_null() {
                    walk(&doc, body, &format!("{method} {path}"), &mut free);
                }
            }
        }
        assert!(free.is_empty(), "request strings without a described rule: {free:?}");
    }

    /// A schema with every `$ref` replaced by what it names, so two descriptions of one shape
    /// compare equal whether they name their parts or spell them out.
    fn inlined(doc: &serde_json::Value, schema: &serde_json::Value) -> serde_json::Value {
        match schema {
            serde_json::Value::Object(map) => {
                if let Some(name) = map.get("$ref").and_then(|r| r.as_str()) {
                    let name = name.rsplit('/').next().unwrap_or_default();
                    let target = &doc["components"]["schemas"][name];
                    assert!(!target.is_null(), "`{name}` is not among the document's schemas");
                    return inlined(doc, target);
                }
                map.iter().map(|(k, v)| (k.clone(), inlined(doc, v))).collect()
            }
            serde_json::Value::Array(items) => items.iter().map(|v| inlined(doc, v)).collect(),
            other => other.clone(),
        }
    }

    /// The document's success answers are the handlers' types: each operation has exactly one
    /// 2xx answer, with the status of its handler's `Answer<T, STATUS>` and `data` described as
    /// `T` is. Only readiness (whose 503 carries `data` too) returns a bare `Response`.
    #[test]
    fn documented_answers_are_the_handlers_types() {
        let doc: serde_json::Value = serde_json::from_str(&super::generate()).expect("JSON");
        let mut untyped = Vec::new();
        let described = super::super::described();
        assert_eq!(described.len(), 49);
        for (path, methods, promised) in described {
            for method in methods {
                let method = serde_json::to_value(&method)
                    .expect("a method")
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let at = format!("{method} {path}");
                let responses = doc["paths"][&path][&method]["responses"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{at} is routed but not documented"));
                let Some((status, schema)) = &promised else {
                    untyped.push(at);
                    continue;
                };
                let successes: Vec<&String> =
                    responses.keys().filter(|s| s.starts_with('2')).collect();
                assert_eq!(successes, [&status.to_string()], "{at}: documented success statuses");
                let data = &responses[&status.to_string()]["content"]["application/json"]["schema"]
                    ["allOf"][1]["properties"]["data"];
                let typed = serde_json::to_value(schema).expect("a schema serializes");
                assert_eq!(
                    inlined(&doc, data),
                    inlined(&doc, &typed),
                    "{at}: the documented `data` is not what the handler's type sends"
                );
            }
        }
        assert_eq!(untyped, ["get /health/ready"]);
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc: serde_json::Value = serde_json::from_str(&super::generate()).expect("JSON");
        let mut seen = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("operations") {
                let id = operation["operationId"].as_str().unwrap_or_default().to_owned();
                assert!(seen.insert(id.clone()), "{method} {path}: operationId `{id}` repeats");
            }
        }
        assert_eq!(seen.len(), 49);
    }

    #[test]
    fn the_committed_document_is_the_generated_one() {
        let generated = super::generate();
        if std::env::var_os("OPENAPI_WRITE").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
            std::fs::write(path, &generated).expect("openapi.json is writable");
            return;
        }
        assert!(
            generated == super::DOCUMENT,
            "catcat-api/openapi.json differs from what the code describes; regenerate it with \
             `OPENAPI_WRITE=1 cargo test -p catcat-api --lib openapi` and review the diff"
        );
    }
}
