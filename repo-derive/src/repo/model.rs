//! The typed model of a `#[repository_for]` trait: its arguments, methods, templates and
//! return kinds, with every structural mistake collected.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericArgument, Ident, ItemTrait, LitStr, Pat, PathArguments, ReturnType, Token,
    TraitItem, TraitItemFn, Type,
};

use crate::diag::{Errors, pretty, template_span};
use crate::template::ArgKind;

/// `#[repository_for(Entity, name = PgThings)]`.
pub(crate) struct RepoArgs {
    pub entity: syn::Path,
    pub name: Option<Ident>,
    /// `crud`: also implement `repo_runtime::Crud`.
    pub crud: Option<Ident>,
}

impl Parse for RepoArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "`#[repository_for]` needs the entity type\nhelp: write `#[repository_for(User)]`, where `User` derives `Entity`",
            ));
        }
        let entity: syn::Path = input.parse()?;
        let mut name = None;
        let mut crud = None;
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            if key == "crud" {
                crud = Some(key);
            } else if key == "name" {
                input.parse::<Token![=]>()?;
                if name.is_some() {
                    return Err(syn::Error::new_spanned(
                        &key,
                        "duplicate `name`\nhelp: give `name = …` once",
                    ));
                }
                name = Some(input.parse()?);
            } else {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!(
                        "unknown `#[repository_for]` option `{key}`\nhelp: valid: `name = TypeName` (the generated implementation's name), `crud` (also implement `repo_runtime::Crud`)"
                    ),
                ));
            }
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens in `#[repository_for(…)]`\nhelp: write `#[repository_for(User)]` or `#[repository_for(User, name = PgUsers)]`"));
        }
        Ok(Self { entity, name, crud })
    }
}

/// What a method's rows become.
#[derive(Clone)]
pub(crate) enum Returns {
    /// `()`: execute, discard the count.
    Unit,
    /// `u64`: rows affected.
    Affected,
    /// `Option<T>`: at most one row.
    Opt(Type),
    /// `Vec<T>`: every row.
    Many(Type),
    /// `T`: exactly one row.
    One(Type),
    /// `Rows<'_, T>`: rows as they arrive.
    Stream(Type),
    /// `Page<T>`: a page and the total.
    Page(Type),
}

/// A method argument.
#[derive(Clone)]
pub(crate) struct Arg {
    pub ident: Ident,
    pub ty: Type,
    pub kind: ArgKind,
}

/// A repository method.
pub(crate) struct Method {
    pub item: TraitItemFn,
    pub sql: LitStr,
    /// `#[sql("…", unchecked)]`: skip the syntax check.
    pub unchecked: bool,
    /// Where errors about the statement point: the template's literal (for `Crud`, the
    /// `crud` option).
    pub at: TokenStream,
    pub args: Vec<Arg>,
    /// The whole declared return type, `Result<…>`.
    pub output: Type,
    pub returns: Returns,
    /// What the body does before its statement: binds the template's arguments when they are
    /// not the signature's own (a generated `Crud` method takes `key`, its template the key's
    /// fields).
    pub prelude: TokenStream,
    /// Types stated for the first parameters when preparing (UNNEST of a generated method's
    /// key columns).
    pub types: Vec<TokenStream>,
}

const SUPPORTED: &str = "`Result<()>`, `Result<u64>` (rows affected), `Result<T>` (exactly one row), `Result<Option<T>>`, `Result<Vec<T>>`, `Result<Rows<'_, T>>`, `Result<Page<T>>`, where `T` is an entity, a `#[derive(FromRow)]` struct, a scalar (i64, String, …) or a tuple of scalars";

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        _ => None,
    }
}

/// The first type argument of `Name<T, …>`.
pub(crate) fn first_type_arg(seg: &syn::PathSegment) -> Option<&Type> {
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// Whether `ty` is `&Entity` / `&[Entity]` for the entity named `entity`.
pub(crate) fn arg_kind(ty: &Type, entity: &Ident) -> ArgKind {
    let is_entity =
        |t: &Type| last_segment(t).is_some_and(|s| s.ident == *entity && s.arguments.is_empty());
    match ty {
        Type::Reference(r) => match &*r.elem {
            Type::Slice(s) if is_entity(&s.elem) => ArgKind::EntitySlice,
            t if is_entity(t) => ArgKind::Entity,
            _ => ArgKind::Scalar,
        },
        _ => ArgKind::Scalar,
    }
}

/// `Vec<Entity>` (or `Option<Vec<Entity>>`) as a row type.
fn vec_of_entity(ty: &Type, entity: &Ident) -> bool {
    let Some(seg) = last_segment(ty) else { return false };
    let inner = first_type_arg(seg);
    match seg.ident.to_string().as_str() {
        "Option" => inner.is_some_and(|t| vec_of_entity(t, entity)),
        "Vec" => inner.and_then(last_segment).is_some_and(|s| s.ident == *entity),
        _ => false,
    }
}

/// A row type the macro can rule out by its shape alone.
fn unsupported_row(ty: &Type) -> Option<String> {
    let name = pretty(ty);
    match ty {
        Type::Reference(_) => Some(format!("`{name}` borrows; rows are returned owned")),
        Type::ImplTrait(_) | Type::TraitObject(_) => {
            Some(format!("`{name}` is not a concrete row type"))
        }
        Type::Slice(_) | Type::Array(_) | Type::Ptr(_) | Type::BareFn(_) | Type::Never(_) => {
            Some(format!("`{name}` cannot be read from a row"))
        }
        _ => {
            let seg = last_segment(ty)?;
            let id = seg.ident.to_string();
            match id.as_str() {
                "u8" | "u16" | "u64" | "u128" | "usize" | "i128" | "isize" | "char" => {
                    Some(format!("`{id}` has no PostgreSQL type; use i16, i32, i64 or String"))
                }
                "HashMap" | "BTreeMap" | "HashSet" | "BTreeSet" | "Box" | "Rc" | "Arc" | "Cow"
                | "str" => Some(format!("`{name}` is not a row type")),
                _ => None,
            }
        }
    }
}

fn returns(output: &Type, entity: &Ident, errors: &mut Errors) -> Option<Returns> {
    fn wrong<T>(errors: &mut Errors, output: &Type, what: String) -> Option<T> {
        errors.push(
            output,
            format!("unsupported return type: {what}"),
            format!("supported: {SUPPORTED}"),
        );
        None
    }
    let Some(result) = last_segment(output).filter(|s| s.ident == "Result") else {
        return wrong(errors, output, format!("`{}` is not a `Result`", pretty(output)));
    };
    let Some(inner) = first_type_arg(result) else {
        return wrong(errors, output, "`Result` without a value type".to_owned());
    };
    if let Type::Tuple(t) = inner
        && t.elems.is_empty()
    {
        return Some(Returns::Unit);
    }
    let row = |errors: &mut Errors, t: &Type| match unsupported_row(t) {
        Some(why) => wrong(errors, output, why),
        // `Option<Vec<User>>`, `Vec<Vec<User>>`: a `Vec` in the row type can only be an array
        // column, and an entity is no column.
        None if vec_of_entity(t, entity) => {
            let e = entity.to_string();
            wrong(
                errors,
                output,
                format!(
                    "`{}` reads each row as an array of `{e}`; rows of `{e}` are returned as `Result<Vec<{e}>>` (no rows: an empty `Vec`), `Result<Option<{e}>>` or `Result<{e}>`",
                    pretty(t)
                ),
            )
        }
        None => Some(t.clone()),
    };
    let seg = last_segment(inner);
    let name = seg.map(|s| s.ident.to_string()).unwrap_or_default();
    let arg = seg.and_then(first_type_arg);
    match (name.as_str(), arg) {
        ("u64", _) if matches!(seg.map(|s| &s.arguments), Some(PathArguments::None)) => {
            Some(Returns::Affected)
        }
        ("Option", Some(t)) => row(errors, t).map(Returns::Opt),
        ("Vec", Some(t)) if last_segment(t).is_some_and(|s| s.ident == "u8") => {
            Some(Returns::One(inner.clone()))
        }
        ("Vec", Some(t)) => row(errors, t).map(Returns::Many),
        // `RowStream` is the name it had before 0.2 (deprecated in the runtime).
        ("Rows" | "RowStream", Some(t)) => row(errors, t).map(Returns::Stream),
        ("Page", Some(t)) => row(errors, t).map(Returns::Page),
        _ => row(errors, inner).map(Returns::One),
    }
}

/// The arguments of `#[sql("…")]` / `#[sql("…", unchecked)]`.
pub(crate) struct SqlArgs {
    pub template: LitStr,
    pub unchecked: bool,
}

impl Parse for SqlArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let template = input.parse()?;
        let mut unchecked = false;
        if input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            let flag: Ident = input.parse()?;
            if flag != "unchecked" {
                return Err(syn::Error::new_spanned(
                    &flag,
                    format!(
                        "unknown `#[sql]` option `{flag}`\nhelp: the only option is `unchecked`, which skips the SQL syntax check"
                    ),
                ));
            }
            unchecked = true;
            input.parse::<Option<Token![,]>>()?;
        }
        if !input.is_empty() {
            return Err(
                input.error("unexpected tokens in `#[sql(…)]`\nhelp: write `#[sql(\"SELECT …\")]`")
            );
        }
        Ok(Self { template, unchecked })
    }
}

fn sql_attr(m: &TraitItemFn, errors: &mut Errors) -> Option<SqlArgs> {
    let attrs: Vec<_> = m.attrs.iter().filter(|a| a.path().is_ident("sql")).collect();
    let name = &m.sig.ident;
    match attrs.as_slice() {
        [] => {
            errors.push(
                &m.sig,
                format!("method `{name}` has no `#[sql(\"…\")]` template"),
                "add one, e.g. `#[sql(\"SELECT <<columns>> FROM <<table>> WHERE <<where:id>>\")]`",
            );
            None
        }
        [attr] => match attr.parse_args::<SqlArgs>() {
            Ok(args) => Some(args),
            Err(e) if e.to_string().contains("help:") => {
                errors.push_error(e);
                None
            }
            Err(_) => {
                errors.push(
                    attr,
                    format!("`#[sql]` on `{name}` must hold one string literal"),
                    "write `#[sql(\"SELECT …\")]`",
                );
                None
            }
        },
        [_, second, ..] => {
            errors.push(
                second,
                format!("method `{name}` has more than one `#[sql]` template"),
                "keep one `#[sql(\"…\")]` per method",
            );
            None
        }
    }
}

fn method(m: &TraitItemFn, entity: &Ident, errors: &mut Errors) -> Option<Method> {
    let sig = &m.sig;
    let name = &sig.ident;
    let mut local = Errors::default();
    let sql = sql_attr(m, &mut local);
    if sig.asyncness.is_none() {
        local.push(
            sig.fn_token,
            format!("repository method `{name}` must be `async`"),
            format!("write `async fn {name}(&self, …)`"),
        );
    }
    if let Some(c) = &sig.constness {
        local.push(
            c,
            format!("repository method `{name}` cannot be `const`"),
            format!("write `async fn {name}(&self, …)`"),
        );
    }
    if let Some(u) = &sig.unsafety {
        local.push(
            u,
            format!("repository method `{name}` cannot be `unsafe`"),
            format!("write `async fn {name}(&self, …)`"),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        local.push(&sig.generics, format!("repository method `{name}` cannot be generic"), "each method expands to one prepared statement with fixed types: use concrete argument types");
    }
    if let Some(body) = &m.default {
        local.push(
            body,
            format!("repository method `{name}` cannot have a body"),
            "the macro writes the body from the `#[sql]` template: end the declaration with `;`",
        );
    }
    if let Some(v) = &sig.variadic {
        local.push(
            v,
            "variadic arguments are not supported",
            "use a slice argument, e.g. `ids: &[i64]`",
        );
    }
    match sig.inputs.first() {
        Some(FnArg::Receiver(r))
            if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() => {}
        Some(FnArg::Receiver(r)) => local.push(
            r,
            format!("repository method `{name}` must take `&self`"),
            format!(
                "write `async fn {name}(&self, …)`: repositories are shared, so methods borrow them"
            ),
        ),
        _ => local.push(
            sig,
            format!("repository method `{name}` has no `&self` receiver"),
            format!("write `async fn {name}(&self, …)`"),
        ),
    }
    let mut args = Vec::new();
    let mut args_named = true;
    for input in sig.inputs.iter().skip(1) {
        let FnArg::Typed(pt) = input else { continue };
        match &*pt.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                args.push(Arg {
                    ident: p.ident.clone(),
                    ty: (*pt.ty).clone(),
                    kind: arg_kind(&pt.ty, entity),
                });
            }
            other => {
                args_named = false;
                local.push(
                    other,
                    "repository method arguments must be plain names",
                    "write `name: Type`; the name is what `@name` binds in the template",
                );
            }
        }
    }
    let output = match &sig.output {
        ReturnType::Type(_, ty) => Some((**ty).clone()),
        ReturnType::Default => {
            local.push(
                sig,
                format!("repository method `{name}` has no return type"),
                format!("supported: {SUPPORTED}"),
            );
            None
        }
    };
    let returns = output.as_ref().and_then(|o| returns(o, entity, &mut local));
    let ok = local.is_empty();
    // The signature is wrong: say what is wrong with the template too, in the same build.
    if let (false, Some(sql), true) = (ok, &sql, args_named) {
        let infos: Vec<crate::template::ArgInfo> = args
            .iter()
            .map(|a| crate::template::ArgInfo { name: a.ident.to_string(), kind: a.kind })
            .collect();
        for d in crate::template::check_without_entity(&sql.template.value(), &infos) {
            local.push_at(template_span(&sql.template, d.at.as_ref()), &d.message, &d.help);
        }
    }
    if let Err(e) = local.finish() {
        errors.push_error(e);
    }
    if !ok {
        return None;
    }
    let sql = sql?;
    Some(Method {
        item: m.clone(),
        at: sql.template.to_token_stream(),
        sql: sql.template,
        unchecked: sql.unchecked,
        args,
        output: output?,
        returns: returns?,
        prelude: TokenStream::new(),
        types: Vec::new(),
    })
}

/// A parsed repository trait.
pub(crate) struct RepoTrait {
    pub item: ItemTrait,
    pub methods: Vec<Method>,
}

impl RepoTrait {
    /// Parses and checks `item`; `None` when any method is malformed (the errors say why).
    pub(crate) fn parse(item: &ItemTrait, entity: &Ident, errors: &mut Errors) -> Option<Self> {
        if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
            errors.push(
                &item.generics,
                "a `#[repository_for]` trait cannot be generic",
                "the entity fixes every type: remove the generic parameters",
            );
        }
        let mut methods = Vec::new();
        let mut ok = true;
        for ti in &item.items {
            match ti {
                TraitItem::Fn(m) => match method(m, entity, errors) {
                    Some(m) => methods.push(m),
                    None => ok = false,
                },
                other => {
                    ok = false;
                    errors.push(
                        other,
                        "a `#[repository_for]` trait can only hold methods",
                        "move constants, types and macros out of the trait",
                    );
                }
            }
        }
        (ok && errors.is_empty()).then(|| Self { item: item.clone(), methods })
    }
}

/// `fn name(&self, …) -> impl Future<Output = R> + Send` for a repository method.
pub(crate) fn send_signature(m: &TraitItemFn) -> TokenStream {
    let sig = &m.sig;
    let name = &sig.ident;
    let inputs: Punctuated<FnArg, Token![,]> = sig.inputs.clone();
    // Spanned on the declared type, so obligations of the future land on the user's code.
    let ret = match &sig.output {
        ReturnType::Type(_, ty) => {
            quote_spanned!(ty.span()=> impl ::core::future::Future<Output = #ty> + ::core::marker::Send)
        }
        ReturnType::Default => {
            quote!(impl ::core::future::Future<Output = ()> + ::core::marker::Send)
        }
    };
    quote! {
        fn #name(#inputs) -> #ret
    }
}
