//! Error collection shared by every macro: gather all problems, report them together.

use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::spanned::Spanned;

/// Collects errors across one expansion (serde's `Ctxt`, without the drop check).
#[derive(Default)]
pub(crate) struct Errors {
    errors: Option<syn::Error>,
    /// Messages already recorded: a mistake found in several variants is reported once.
    seen: Vec<String>,
}

impl Errors {
    /// Records an error at `tokens`, whose message ends with a `help:` line.
    pub(crate) fn push(
        &mut self,
        tokens: impl ToTokens,
        message: impl Display,
        help: impl Display,
    ) {
        self.record(message, help, |text| syn::Error::new_spanned(tokens, text));
    }

    /// Records an error at `span`, whose message ends with a `help:` line.
    pub(crate) fn push_at(
        &mut self,
        span: proc_macro2::Span,
        message: impl Display,
        help: impl Display,
    ) {
        self.record(message, help, |text| syn::Error::new(span, text));
    }

    /// Records the error `at` makes of the text, unless the same text was recorded already.
    fn record(
        &mut self,
        message: impl Display,
        help: impl Display,
        at: impl FnOnce(String) -> syn::Error,
    ) {
        let text = format!("{message}\nhelp: {help}");
        if self.seen.contains(&text) {
            return;
        }
        self.seen.push(text.clone());
        self.push_error(at(text));
    }

    /// Records a ready-made error.
    pub(crate) fn push_error(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(error),
            None => self.errors = Some(error),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_none()
    }

    /// The `compile_error!`s of every recorded error.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.errors.as_ref().map(syn::Error::to_compile_error).unwrap_or_default()
    }

    /// `Ok(())` when nothing was recorded.
    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.errors {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// `a`, `b`, `c` for a help line.
pub(crate) fn list<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: Display,
{
    items.into_iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

thread_local! {
    /// While a repository expands: each entity field's type as the repository names it (a
    /// projection through the entity, which resolves in any module) → the type as declared.
    static DECLARED: std::cell::RefCell<std::collections::HashMap<String, syn::Type>> =
        std::cell::RefCell::default();
}

/// Records the field types of the entity whose repository is expanding (see [`declared`]).
pub(crate) fn set_declared(fields: impl IntoIterator<Item = (syn::Type, syn::Type)>) {
    let map = fields.into_iter().map(|(named, declared)| (key(&named), declared)).collect();
    DECLARED.with(|d| *d.borrow_mut() = map);
}

fn key(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string()
}

/// The type as the entity declares it, for a field type named through the entity (for messages
/// and for looking at its shape); any other type as it is.
pub(crate) fn declared(ty: &syn::Type) -> syn::Type {
    DECLARED.with(|d| d.borrow().get(&key(ty)).cloned()).unwrap_or_else(|| ty.clone())
}

/// Where to point at a type in an error: a path's last segment (`Duration` of
/// `std::time::Duration`; a whole type cannot be spanned on stable, and its first token `std`
/// says nothing), else the type's first token.
pub(crate) fn type_span(ty: &syn::Type) -> proc_macro2::Span {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map_or_else(|| ty.span(), |s| s.ident.span()),
        _ => ty.span(),
    }
}

/// A type or path as a person would write it: `Vec<User>`, not `Vec < User >`.
pub(crate) fn pretty(tokens: &impl ToTokens) -> String {
    // Field types named through the entity read as declared, also inside other types
    // (`Vec<&<Book as FieldType<3>>::Type>` reads `Vec<&NaiveDate>`).
    let raw = DECLARED.with(|d| {
        d.borrow().iter().fold(key(tokens), |raw, (named, declared)| {
            if raw.contains(named.as_str()) {
                raw.replace(named.as_str(), &key(declared))
            } else {
                raw
            }
        })
    });
    // The compiler's printing of a long stream breaks lines.
    let raw = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(raw.len());
    let chars: Vec<char> = raw.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let tight = |ch: Option<char>| {
                matches!(ch, Some('<' | '>' | ':' | '&' | '(' | ')' | '[' | ']'))
            };
            if tight(prev) && prev != Some('>') || tight(next) || next == Some(',') {
                continue;
            }
            if prev == Some('>') && !matches!(next, Some('>' | ',' | ')' | ']')) {
                out.push(' ');
                continue;
            }
            if prev == Some('>') {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Where to point at bytes `at` of the template in `lit`: that part of the string where the
/// compiler can point inside a literal (`Literal::subspan`, nightly today), else the literal.
pub(crate) fn template_span(
    lit: &syn::LitStr,
    at: Option<&std::ops::Range<usize>>,
) -> proc_macro2::Span {
    let whole = lit.span();
    let Some(at) = at else { return whole };
    let token = lit.token();
    let source = token.to_string();
    // Offsets in the value are offsets in the source only for a raw string, or a plain one
    // without escapes.
    let start = match source.find('"') {
        Some(0) if source.get(1..source.len() - 1) == Some(lit.value().as_str()) => 1,
        Some(q) if source.starts_with('r') => q + 1,
        _ => return whole,
    };
    token.subspan(start + at.start..start + at.end).unwrap_or(whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_type_named_through_the_entity_reads_as_declared_also_inside_another_type() {
        let named = |n: usize| -> syn::Type {
            syn::parse_str(&format!(
                "<Book as ::repo_runtime::__private::FieldType<{n}usize>>::Type"
            ))
            .unwrap()
        };
        let declared = |s: &str| -> syn::Type { syn::parse_str(s).unwrap() };
        set_declared([(named(1), declared("i64")), (named(10), declared("NaiveDate"))]);
        let batch: syn::Type =
            syn::parse_str(&format!("::std::vec::Vec<&{}>", named(10).to_token_stream())).unwrap();
        assert_eq!(pretty(&batch), "::std::vec::Vec<&NaiveDate>");
        assert_eq!(pretty(&named(1)), "i64");
        assert_eq!(declared_of(&named(10)), "NaiveDate");
        set_declared([]);
        assert_eq!(
            pretty(&named(1)),
            "<Book as::repo_runtime::__private::FieldType<1usize>>::Type"
        );
    }

    fn declared_of(ty: &syn::Type) -> String {
        pretty(&declared(ty))
    }
}
