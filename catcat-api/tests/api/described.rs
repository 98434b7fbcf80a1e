//! Checks an answer against its description in `/openapi.json`.

use serde_json::{Value, json};

/// Asserts that `sent`, the answer of `method template` with `status`, carries the `data` that
/// the OpenAPI document `doc` describes for that answer.
pub(crate) fn described(doc: &Value, method: &str, template: &str, status: u16, sent: &Value) {
    let operation = &doc["paths"][template][method.to_lowercase()];
    let data = &operation["responses"][status.to_string()]["content"]["application/json"]["schema"]
        ["allOf"][1]["properties"]["data"];
    assert!(data.is_object(), "{method} {template} {status} describes its data");
    conforms(doc, data, &sent["data"], &format!("{method} {template}"));
}

/// Asserts that `value` has the shape `schema` describes (refs, allOf, nullable oneOf, arrays,
/// objects with their required keys, maps), naming the place of the first difference.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) {
    if let Some(name) = schema["$ref"].as_str() {
        let name = name.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(variants) = schema["oneOf"].as_array() {
        let fits = variants.iter().any(|v| {
            let null = v["type"] == "null";
            if value.is_null() { null } else { !null }
        });
        assert!(fits, "{at}: {value} fits none of {schema}");
        if let Some(v) = variants.iter().find(|v| v["type"] != "null").filter(|_| !value.is_null())
        {
            conforms(doc, v, value, at);
        }
        return;
    }
    if let Some(parts) = schema["allOf"].as_array() {
        // The union of the parts' properties describes the object (flattened structs).
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        for part in parts {
            let part = resolve(doc, part);
            properties.extend(part["properties"].as_object().cloned().unwrap_or_default());
            required.extend(part["required"].as_array().cloned().unwrap_or_default());
        }
        let merged = json!({ "type": "object", "properties": properties, "required": required });
        return conforms(doc, &merged, value, at);
    }
    let nullable = schema["type"].as_array().is_some_and(|t| t.contains(&json!("null")));
    if value.is_null() {
        assert!(nullable, "{at}: null where {schema} is described");
        return;
    }
    let kind = schema["type"]
        .as_array()
        .map_or(&schema["type"], |t| t.iter().find(|k| *k != "null").unwrap_or(&Value::Null));
    match kind.as_str() {
        Some("array") => {
            let items = value.as_array().unwrap_or_else(|| panic!("{at}: {value} is not an array"));
            for (i, item) in items.iter().enumerate() {
                conforms(doc, &schema["items"], item, &format!("{at}[{i}]"));
            }
        }
        Some("object") if schema["properties"].is_object() => {
            let object =
                value.as_object().unwrap_or_else(|| panic!("{at}: {value} is not an object"));
            let properties = schema["properties"].as_object().unwrap();
            for (key, v) in object {
                let described = properties.get(key).unwrap_or_else(|| {
                    panic!("{at}: `{key}` is sent but not described in {schema}")
                });
                conforms(doc, described, v, &format!("{at}.{key}"));
            }
            for key in schema["required"].as_array().into_iter().flatten() {
                let key = key.as_str().unwrap();
                assert!(object.contains_key(key), "{at}: `{key}` is required but not sent");
            }
        }
        Some("object") => assert!(value.is_object(), "{at}: {value} is not an object"),
        Some("integer") => {
            assert!(value.is_i64() || value.is_u64(), "{at}: {value} is not an integer");
        }
        Some("number") => assert!(value.is_number(), "{at}: {value} is not a number"),
        Some("string") => assert!(value.is_string(), "{at}: {value} is not a string"),
        Some("boolean") => assert!(value.is_boolean(), "{at}: {value} is not a boolean"),
        _ => panic!("{at}: no type in {schema}"),
    }
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(name) => resolve(
            doc,
            &doc["components"]["schemas"][name.trim_start_matches("#/components/schemas/")],
        ),
        None => schema,
    }
}
