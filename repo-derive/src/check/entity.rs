//! An entity's table and fields checked against the catalog of the migrations.

use super::schema::Catalog;
use crate::template::Diag;

/// The column types a field type can read and write (normalized names); `None` for types the
/// macro cannot see into (enums deriving `SqlEnum`, user types), which only get the NULL check.
pub(crate) fn accepted_types(ty: &syn::Type) -> Option<Vec<String>> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let inner = crate::repo::model::first_type_arg(seg);
    let one = |s: &str| Some(vec![s.to_owned()]);
    match seg.ident.to_string().as_str() {
        "Option" => accepted_types(inner?),
        "Vec" => match inner? {
            syn::Type::Path(t) if t.path.is_ident("u8") => one("bytea"),
            t => Some(accepted_types(t)?.into_iter().map(|x| format!("{x}[]")).collect()),
        },
        "i16" => one("int2"),
        "i32" => one("int4"),
        "i64" => one("int8"),
        "f32" => one("float4"),
        "f64" => one("float8"),
        "bool" => one("bool"),
        "String" => one("text"),
        "DateTime" => one("timestamptz"),
        "NaiveDateTime" => one("timestamp"),
        "NaiveDate" => one("date"),
        "NaiveTime" => one("time"),
        // The time crate's (feature `time`); its `Date` and `Time` are names too common to
        // claim here, so they are left to `verify`.
        "OffsetDateTime" => one("timestamptz"),
        "PrimitiveDateTime" => one("timestamp"),
        "Uuid" => one("uuid"),
        "Decimal" => one("numeric"),
        "Value" | "Json" => Some(vec!["json".to_owned(), "jsonb".to_owned()]),
        _ => None,
    }
}

/// `T` of `Option<T>`, else the type itself.
pub(crate) fn option_inner(ty: &syn::Type) -> &syn::Type {
    let syn::Type::Path(p) = ty else { return ty };
    match p.path.segments.last() {
        Some(s) if s.ident == "Option" => match &s.arguments {
            syn::PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .find_map(|g| match g {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .unwrap_or(ty),
            _ => ty,
        },
        _ => ty,
    }
}

/// For a field whose type the macro cannot see into (maybe a `SqlEnum`), what its column
/// holds and what to say if the enum is stored otherwise; checked by the compiler, which knows
/// how the enum is stored.
pub(crate) struct StoredCheck {
    pub field: usize,
    pub int_ok: bool,
    pub text_ok: bool,
    pub if_int: String,
    pub if_text: String,
}

/// The [`StoredCheck`]s of an entity's fields against the catalog.
pub(crate) fn stored_checks(
    catalog: &Catalog,
    table: &str,
    fields: &[FieldCheck<'_>],
) -> Vec<StoredCheck> {
    let Some(columns) = catalog.tables.get(table) else { return Vec::new() };
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let Some(col) = columns.iter().find(|c| c.name == f.column) else { continue };
        // A view's column whose type the inference left open is not checked.
        if accepted_types(f.ty).is_some() || col.ty.is_empty() {
            continue;
        }
        let int_ok = matches!(col.ty.as_str(), "int2" | "int4" | "int8");
        let text_ok = col.ty == "text" || col.ty.starts_with("enum:");
        let shown = col.ty.strip_prefix("enum:").map_or(col.ty.clone(), |e| format!("enum {e}"));
        let ty = crate::diag::pretty(option_inner(f.ty));
        let at = format!("column `{table}.{}` is `{shown}`", col.name);
        let if_int = if text_ok {
            format!(
                "{at}, but `{ty}` is stored as an integer; mark the enum `#[sql_enum(text)]` to store its variant names, or store it in an int2/int4/int8 column"
            )
        } else {
            format!(
                "{at}, which `{ty}`, stored as an integer, cannot be written to; store it in an int2/int4/int8 column"
            )
        };
        let if_text = if int_ok {
            format!(
                "{at}, but `{ty}` is stored as text (`#[sql_enum(text)]`); remove `#[sql_enum(text)]` to store its discriminants, or store it in a text or ENUM column"
            )
        } else {
            format!(
                "{at}, which `{ty}`, stored as text, cannot be written to; store it in a text or ENUM column"
            )
        };
        out.push(StoredCheck { field: i, int_ok, text_ok, if_int, if_text });
    }
    out
}

/// Whether the field type is `Option<…>`.
pub(crate) fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// The Rust type that reads a PostgreSQL type (an array as `Vec`), where there is one.
pub(crate) fn rust_type(pg: &str) -> Option<String> {
    if let Some(inner) = pg.strip_suffix("[]") {
        return rust_type(inner).map(|t| format!("Vec<{t}>"));
    }
    Some(
        match pg {
            "int2" => "i16",
            "int4" => "i32",
            "int8" => "i64",
            "float4" => "f32",
            "float8" => "f64",
            "bool" => "bool",
            "text" => "String",
            "bytea" => "Vec<u8>",
            "timestamptz" => "DateTime<Utc>",
            "timestamp" => "NaiveDateTime",
            "date" => "NaiveDate",
            "time" => "NaiveTime",
            "uuid" => "Uuid",
            "numeric" => "Decimal",
            "json" | "jsonb" => "serde_json::Value",
            _ => return None,
        }
        .to_owned(),
    )
}

/// The Rust type to suggest for a column type, in words where there is no single one.
fn rust_for(pg: &str) -> String {
    match pg {
        "json" | "jsonb" => "serde_json::Value or Json<T>".to_owned(),
        e if e.starts_with("enum:") => {
            "an enum with `#[derive(SqlEnum)] #[sql_enum(text)]`".to_owned()
        }
        _ => rust_type(pg).unwrap_or_else(|| "a type that implements FromSql for it".to_owned()),
    }
}

/// The time crate's type for a column type, where it has one.
fn time_crate_for(pg: &str) -> Option<&'static str> {
    Some(match pg {
        "timestamptz" => "OffsetDateTime",
        "timestamp" => "PrimitiveDateTime",
        "date" => "Date",
        "time" => "Time",
        _ => return None,
    })
}

/// One mapped field, as the schema check sees it.
pub(crate) struct FieldCheck<'a> {
    pub ident: String,
    pub column: &'a str,
    pub ty: &'a syn::Type,
}

/// What is wrong with one field (or, with `field: None`, with the table).
pub(crate) struct Finding {
    pub field: Option<usize>,
    /// Point at the type rather than the name.
    pub at_type: bool,
    pub diag: Diag,
}

/// Checks an entity's table and fields against the catalog.
pub(crate) fn check_entity(
    catalog: &Catalog,
    dir: &str,
    table: &str,
    fields: &[FieldCheck<'_>],
) -> Vec<Finding> {
    let Some(columns) = catalog.tables.get(table) else {
        let hint = crate::template::suggest(table, catalog.tables.keys().map(String::as_str))
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        let known: Vec<String> = catalog.tables.keys().map(|t| format!("`{t}`")).collect();
        return vec![Finding {
            field: None,
            at_type: false,
            diag: Diag::new(
                format!("table `{table}` is not created by the migrations in `{dir}`"),
                format!(
                    "{hint}the migrations create {}; name the table with `#[entity(table = \"…\")]`, or turn the check off with `#[entity(schema = false)]`",
                    if known.is_empty() { "no tables".to_owned() } else { known.join(", ") }
                ),
            ),
        }];
    };
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let Some(col) = columns.iter().find(|c| c.name == f.column) else {
            let hint = crate::template::suggest(f.column, columns.iter().map(|c| c.name.as_str()))
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            let names: Vec<String> = columns.iter().map(|c| format!("`{}`", c.name)).collect();
            out.push(Finding {
                field: Some(i),
                at_type: false,
                diag: Diag::new(
                    format!("column `{table}.{}` does not exist in the migrations", f.column),
                    format!("{hint}the columns of `{table}` are {}; map the field with `#[entity(rename = \"…\")]` or leave it out with `#[entity(skip)]`", names.join(", ")),
                ),
            });
            continue;
        };
        let ty = crate::diag::pretty(f.ty);
        if col.nullable && col.nullable_known && !is_option(f.ty) {
            out.push(Finding {
                field: Some(i),
                at_type: true,
                diag: Diag::new(
                    format!("column `{table}.{}` is nullable, but field `{}` has type `{ty}`", col.name, f.ident),
                    format!("make the field `Option<{ty}>`, or add `NOT NULL` to the column in a migration"),
                ),
            });
        }
        if let Some(accepted) = accepted_types(f.ty)
            && !col.ty.is_empty()
            && !accepted.contains(&col.ty)
        {
            let col_ty =
                col.ty.strip_prefix("enum:").map_or(col.ty.clone(), |e| format!("enum {e}"));
            out.push(Finding {
                field: Some(i),
                at_type: true,
                diag: Diag::new(
                    format!("column `{table}.{}` is `{col_ty}`, which a field of type `{ty}` cannot hold", col.name),
                    format!("use {} for a column of type `{col_ty}`", match (rust_for(&col.ty), time_crate_for(&col.ty)) { (r, _) if r.contains(' ') => r, (r, Some(t)) => format!("`{r}` (chrono) or `{t}` (time)"), (r, None) => format!("`{r}`") }),
                ),
            });
        }
    }
    out
}
