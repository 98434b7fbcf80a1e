//! Every rule a repository is held to, in one pass that collects every error (serde's `Ctxt`
//! way): each method's template expanded, each statement's syntax, its types against the
//! migrations and its select list against the row type, what a page and a batch need, and the
//! generated `Crud`'s names. What passes is a checked model that `expand.rs` emits without a
//! check of its own; a method that fails keeps a stub body, so its errors are not buried under
//! "method not implemented".

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::crud::CrudTable;
use super::model::{Method, RepoTrait, Returns, first_type_arg};
use super::typed::Typing;
use crate::check::syntax;
use crate::diag::{Errors, pretty, template_span};
use crate::template::{
    ArgInfo, ArrayPart, Bind, Condition, EntityInfo, Expanded, expand as expand_template,
};

/// A repository that passed every check, or the errors and what can still be emitted.
pub(super) struct Checked<'a> {
    /// The user's methods, then the generated `Crud` ones.
    pub methods: Vec<CheckedMethod<'a>>,
    /// How many of `methods` are the user's.
    pub user_methods: usize,
    /// Constants comparing row types only the compiler knows with their select lists.
    pub width_checks: Vec<TokenStream>,
    /// Constants comparing `FromRow` fields with the columns the migrations give.
    pub shape_checks: Vec<TokenStream>,
    /// `INFERRED`'s entries.
    pub inferred: Vec<TokenStream>,
    pub errors: Errors,
}

/// One method and, when it passed, its statements.
pub(super) struct CheckedMethod<'a> {
    pub method: &'a Method,
    /// What its statements are labelled by: the trait, or the implementation for `Crud`.
    pub owner: &'a Ident,
    /// `None` when a check failed (the method gets a stub body).
    pub statements: Option<Statements>,
}

/// A method's statements: one per combination of its conditions.
pub(super) struct Statements {
    pub conditions: Vec<Condition>,
    pub variants: Vec<Variant>,
}

/// One statement, checked.
pub(super) struct Variant {
    pub x: Expanded,
    /// Its entry in `INFERRED`, when the migrations typed it.
    pub listed: Option<usize>,
    pub call: Call,
}

/// Which runtime call runs a statement, and the row type it reads.
pub(super) enum Call {
    /// Execute, discard the count.
    Unit,
    /// Execute, return the count.
    Affected,
    One(Type),
    Opt(Type),
    Many(Type),
    Stream(Type),
    Page(Type, Paging),
}

/// A `Page`'s offset argument and the parameters of OFFSET and LIMIT.
pub(super) struct Paging {
    pub offset_arg: String,
    pub offset_param: usize,
    pub limit_param: Option<usize>,
}

/// Checks every method of `repo` and of `crud`; `errors` may already hold some.
#[allow(clippy::too_many_arguments)]
pub(super) fn check<'a>(
    repo: &'a RepoTrait,
    crud: Option<&'a CrudTable>,
    impl_name: &'a Ident,
    entity: &EntityInfo,
    entity_ident: &Ident,
    field_types: &HashMap<String, Type>,
    typing: Option<&Typing<'_>>,
    mut errors: Errors,
) -> Checked<'a> {
    let trait_name = &repo.item.ident;
    if crud.is_some() {
        for m in &repo.methods {
            let name = m.item.sig.ident.to_string();
            if super::crud::METHODS.contains(&name.as_str()) {
                errors.push(
                    &m.item.sig.ident,
                    format!("method `{name}` has the name of a generated `Crud` method, so calls would be ambiguous"),
                    format!("rename it (for example `{name}_by_…`), or leave out `crud`; the generated methods are {}", crate::diag::list(super::crud::METHODS)),
                );
            }
        }
    }
    let mut checked = Checked {
        methods: Vec::new(),
        user_methods: repo.methods.len(),
        width_checks: Vec::new(),
        shape_checks: Vec::new(),
        inferred: Vec::new(),
        errors: Errors::default(),
    };
    let methods = repo
        .methods
        .iter()
        .map(|m| (m, trait_name))
        .chain(crud.iter().flat_map(|c| &c.methods).map(|m| (m, impl_name)));
    for (m, owner) in methods {
        let statements =
            method(m, entity, entity_ident, field_types, typing, &mut checked, &mut errors);
        checked.methods.push(CheckedMethod { method: m, owner, statements });
    }
    checked.errors = errors;
    checked
}

/// One method's statements, or `None` with its errors recorded.
fn method(
    m: &Method,
    entity: &EntityInfo,
    entity_ident: &Ident,
    field_types: &HashMap<String, Type>,
    typing: Option<&Typing<'_>>,
    checked: &mut Checked<'_>,
    errors: &mut Errors,
) -> Option<Statements> {
    let arg_info: Vec<ArgInfo> =
        m.args.iter().map(|a| ArgInfo { name: a.ident.to_string(), kind: a.kind }).collect();
    let exp = match expand_template(&m.sql.value(), entity, &arg_info) {
        Ok(exp) => exp,
        Err(diags) => {
            for d in diags {
                errors.push_at(template_span(&m.sql, d.at.as_ref()), &d.message, &d.help);
            }
            return None;
        }
    };
    let mut local = Errors::default();
    let mut variants = Vec::new();
    for x in exp.variants {
        let mut listed = None;
        if !m.unchecked {
            let before = checked.inferred.len();
            let width = check_statement(
                m,
                &x,
                entity_ident,
                entity.fields.len(),
                typing,
                checked,
                &mut local,
            );
            checked.width_checks.extend(width);
            listed = (checked.inferred.len() > before).then_some(before);
        }
        nested_arrays(m, &x, field_types, &mut local);
        let call = match &m.returns {
            Returns::Unit => Some(Call::Unit),
            Returns::Affected => Some(Call::Affected),
            Returns::One(t) => Some(Call::One(t.clone())),
            Returns::Opt(t) => Some(Call::Opt(t.clone())),
            Returns::Many(t) => Some(Call::Many(t.clone())),
            Returns::Stream(t) => Some(Call::Stream(t.clone())),
            Returns::Page(t) => paging(m, &x, &mut local).map(|p| Call::Page(t.clone(), p)),
        };
        if let Some(call) = call {
            variants.push(Variant { x, listed, call });
        }
    }
    match local.finish() {
        Ok(()) => Some(Statements { conditions: exp.conditions, variants }),
        Err(e) => {
            errors.push_error(e);
            None
        }
    }
}

/// A batch (`<<unnest>>`) sends an array-valued field as its rows' elements laid end to end,
/// which cannot be arrays themselves.
fn nested_arrays(
    m: &Method,
    x: &Expanded,
    field_types: &HashMap<String, Type>,
    errors: &mut Errors,
) {
    for b in &x.binds {
        let Bind::Array { field, part: ArrayPart::Elements, .. } = b else { continue };
        let Some(ty) = field_types.get(field) else { continue };
        if array_element(ty).is_some_and(|t| is_array(&t)) {
            errors.push(
                &m.at,
                format!("`<<unnest>>` cannot batch-insert field `{field}` of type `{}`, an array of arrays", pretty(ty)),
                format!("a batch sends each array-valued field as its rows' elements laid end to end, and these elements are arrays themselves; leave it out with `--exclude {field}` (in `<<columns>>` too) or insert those rows one by one"),
            );
        }
    }
}

/// A `Page` needs `<<total>>` and a bound OFFSET.
fn paging(m: &Method, x: &Expanded, errors: &mut Errors) -> Option<Paging> {
    let name = &m.item.sig.ident;
    let offset = x.offset_bind.map(|i| (i, &x.binds[i]));
    match (offset, x.has_total) {
        (Some((offset_param, Bind::Arg(offset_arg))), true) => {
            Some(Paging { offset_arg: offset_arg.clone(), offset_param, limit_param: x.limit_bind })
        }
        _ => {
            errors.push(
                &m.at,
                format!("`{name}` returns a `Page`, so its template must select `<<total>>` last and end with `<<paginate>>`"),
                "write e.g. `SELECT <<columns>>, <<total>> FROM <<table>> <<orderby:id>> <<paginate>>` with `limit: i64, offset: i64` arguments",
            );
            None
        }
    }
}

/// `Vec<T>` other than `Vec<u8>` (bytea), or an `Option` of one: a PostgreSQL array.
pub(super) fn is_array(ty: &Type) -> bool {
    array_element(ty).is_some()
}

/// The `T` of an array-valued type (see [`is_array`]).
fn array_element(ty: &Type) -> Option<Type> {
    let ty = &crate::diag::declared(ty);
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    match (seg.ident.to_string().as_str(), first_type_arg(seg)) {
        ("Option", Some(t)) => array_element(t),
        ("Vec", Some(Type::Path(t))) if t.path.is_ident("u8") => None,
        ("Vec", Some(t)) => Some(t.clone()),
        _ => None,
    }
}

/// How many columns a row type reads, when its shape says so.
fn row_arity(ty: &Type, entity: &Ident, entity_columns: usize) -> Option<usize> {
    match ty {
        Type::Tuple(t) => Some(t.elems.len()),
        Type::Group(g) => row_arity(&g.elem, entity, entity_columns),
        Type::Path(p) => {
            let seg = p.path.segments.last()?;
            let id = seg.ident.to_string();
            const SCALARS: &[&str] = &[
                "bool",
                "i8",
                "i16",
                "i32",
                "i64",
                "u32",
                "f32",
                "f64",
                "String",
                "DateTime",
                "NaiveDateTime",
                "NaiveDate",
                "NaiveTime",
                "Uuid",
                "Decimal",
                "Value",
                "Json",
                "Vec",
                "Option",
            ];
            if seg.ident == *entity {
                Some(entity_columns)
            } else if SCALARS.contains(&id.as_str()) {
                Some(1)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Parses the expanded statement and compares its select list with the row type. For a row
/// type whose width only the compiler knows (another entity, a `FromRow` struct), returns a
/// constant that compares it with the select list while compiling.
fn check_statement(
    m: &Method,
    x: &Expanded,
    entity: &Ident,
    entity_columns: usize,
    typing: Option<&Typing<'_>>,
    // Where its `INFERRED` entry and `FromRow` shape checks go.
    checked: &mut Checked<'_>,
    errors: &mut Errors,
) -> Option<TokenStream> {
    let sql = x.sql.as_str();
    let name = &m.item.sig.ident;
    let statements = match syntax::check(sql) {
        Ok(s) => s,
        Err(d) => {
            errors.push(&m.at, format!("`{name}`: {}", d.message), &d.help);
            return None;
        }
    };
    if let (Some(typing), [statement]) = (typing, statements.as_slice()) {
        let typed =
            super::typed::check(m, x, statement, typing, entity, &mut checked.shape_checks, errors);
        checked.inferred.push(super::typed::listing(&name.to_string(), sql, &typed));
    }
    let (row, extra) = match &m.returns {
        Returns::One(t) | Returns::Opt(t) | Returns::Many(t) | Returns::Stream(t) => (t, 0),
        // Without `<<total>>` the page has its own error.
        Returns::Page(t) if x.has_total => (t, 1),
        Returns::Page(_) | Returns::Unit | Returns::Affected => return None,
    };
    let selected = syntax::output_arity(&statements)?;
    let Some(wanted) = row_arity(row, entity, entity_columns) else {
        if !matches!(row, Type::Path(_)) || selected < extra {
            return None;
        }
        let own = selected - extra;
        let total = if extra == 1 { " plus `<<total>>`" } else { "" };
        let message = format!(
            "`{name}` reads rows of `{}`, but its statement returns {own} column{}{total}, \
             another number than `{}` reads; make the select list and the row type agree; the \
             statement is: {sql}",
            pretty(row),
            if own == 1 { "" } else { "s" },
            pretty(row),
        );
        return Some(quote_spanned! {row.span()=>
            const _: () = ::repo_runtime::__private::assert_width::<#row>(#own, #message);
        });
    };
    if selected != wanted + extra {
        let total = if extra == 1 { " plus `<<total>>`" } else { "" };
        errors.push(
            &m.at,
            format!(
                "`{name}` reads rows of `{}` ({wanted} column{}{total}), but its statement returns {selected} column{}",
                pretty(row),
                if wanted == 1 { "" } else { "s" },
                if selected == 1 { "" } else { "s" },
            ),
            format!("make the select list and the row type agree; the statement is: {sql}"),
        );
    }
    None
}
