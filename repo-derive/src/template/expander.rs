//! The placeholder expansions: one statement from one variant of a template.
//!
//! One piece: every placeholder is an arm of one `match` over `Kind` that shares the
//! expander's state (the parameters bound so far, the errors, the entity and the arguments),
//! and the helpers below (`selected`, `entity_arg`, `unnest`, `where_id`, `orderby`, …) are
//! each used by those arms.

use super::{
    ArgInfo, ArgKind, ArrayPart, Bind, Diag, EntityInfo, Expanded, FieldInfo, Kind, Piece,
    Placeholder, did_you_mean, list, quote_ident, quote_table,
};

/// Expands one variant of a template (optional clauses already resolved) into a statement.
pub(super) fn expand_variant(
    pieces: &[Piece],
    entity: &EntityInfo,
    args: &[ArgInfo],
) -> Result<Expanded, Vec<Diag>> {
    let mut x = Expander {
        entity,
        args,
        binds: Vec::new(),
        errors: Vec::new(),
        offset_bind: None,
        limit_bind: None,
        has_total: false,
    };
    // Batch columns are numbered first so their explicit array types are a prefix of the
    // parameter types; `<<where:auto>>` takes the arguments nothing else uses, so it comes last.
    let is_unnest =
        |p: &Piece| matches!(p, Piece::Placeholder(ph) if ph.kind == Some(Kind::Unnest));
    let is_auto = |p: &Piece| matches!(p, Piece::Placeholder(ph) if ph.kind == Some(Kind::Where) && ph.arg.as_deref() == Some("auto"));
    let mut out: Vec<String> = vec![String::new(); pieces.len()];
    for pass in 0..3 {
        for (i, piece) in pieces.iter().enumerate() {
            let phase = if is_unnest(piece) {
                0
            } else if is_auto(piece) {
                2
            } else {
                1
            };
            if phase != pass {
                continue;
            }
            let found = x.errors.len();
            out[i] = match piece {
                Piece::Sql(s) => s.clone(),
                Piece::Param { name, field, .. } => x.param(name, field.as_deref()),
                Piece::Placeholder(p) if phase == 2 => {
                    x.check_options(p, &[]);
                    x.where_auto()
                }
                Piece::Placeholder(p) => x.placeholder(p),
                // The clauses' markers are left out of every statement (`optional_blocks`).
                Piece::If { .. } | Piece::EndIf { .. } => String::new(),
            };
            match piece {
                Piece::Param { at, .. }
                | Piece::Placeholder(Placeholder { at, .. })
                | Piece::If { at, .. }
                | Piece::EndIf { at } => super::locate(&mut x.errors[found..], at),
                Piece::Sql(_) => {}
            }
        }
    }
    let sql = out.concat();
    if x.errors.is_empty() {
        Ok(Expanded {
            sql,
            binds: x.binds,
            offset_bind: x.offset_bind,
            limit_bind: x.limit_bind,
            has_total: x.has_total,
        })
    } else {
        Err(x.errors)
    }
}

struct Expander<'a> {
    entity: &'a EntityInfo,
    args: &'a [ArgInfo],
    binds: Vec<Bind>,
    errors: Vec<Diag>,
    offset_bind: Option<usize>,
    limit_bind: Option<usize>,
    has_total: bool,
}

impl Expander<'_> {
    /// The `$n` for `bind`, reusing the number of an identical earlier binding.
    fn bind(&mut self, bind: Bind) -> usize {
        if let Some(i) = self.binds.iter().position(|b| *b == bind) {
            return i + 1;
        }
        self.binds.push(bind);
        self.binds.len()
    }

    fn arg(&self, name: &str) -> Option<&ArgInfo> {
        self.args.iter().find(|a| a.name == name)
    }

    fn arg_names(&self) -> String {
        list(self.args.iter().map(|a| a.name.as_str()))
    }

    fn field_names(&self) -> String {
        list(self.entity.fields.iter().map(|f| f.ident.as_str()))
    }

    fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.entity
            .fields
            .iter()
            .find(|f| f.ident == name)
            .or_else(|| self.entity.fields.iter().find(|f| f.column == name))
            .or_else(|| {
                // A C# property name, as templates ported from C# Sqlx write them: `CreatedAt`.
                let snake = crate::entity::snake_case(name);
                let pascal = name.starts_with(|c: char| c.is_ascii_uppercase());
                self.entity.fields.iter().find(|f| pascal && f.ident == snake)
            })
    }

    fn param(&mut self, name: &str, field: Option<&str>) -> String {
        let Some(arg) = self.arg(name) else {
            self.errors.push(super::unmatched_param(name, self.args));
            return String::new();
        };
        let kind = arg.kind;
        match (field, kind) {
            (None, ArgKind::Scalar) => format!("${}", self.bind(Bind::Arg(name.to_owned()))),
            (None, _) => {
                self.errors.push(Diag::new(
                    format!("`@{name}` binds a whole `{}`, which is not one SQL value", self.entity.name),
                    format!("bind one field with `@{name}.field` (fields: {}), or use `<<values>>` / `<<set>>`", self.field_names()),
                ));
                String::new()
            }
            (Some(f), ArgKind::Entity) => match self.field(f) {
                Some(fi) => {
                    let bind = Bind::Field { arg: name.to_owned(), field: fi.ident.clone() };
                    format!("${}", self.bind(bind))
                }
                None => {
                    let hint = did_you_mean(f, self.entity.fields.iter().map(|f| f.ident.as_str()));
                    self.errors.push(Diag::new(
                        format!("`@{name}.{f}`: `{}` has no mapped field `{f}`", self.entity.name),
                        format!("{hint}the fields are {}", self.field_names()),
                    ));
                    String::new()
                }
            },
            (Some(f), _) => {
                self.errors.push(Diag::new(
                    format!(
                        "`@{name}.{f}`: only an entity argument (`&{}`) has fields to bind",
                        self.entity.name
                    ),
                    format!("bind the whole argument with `@{name}`"),
                ));
                String::new()
            }
        }
    }

    fn check_options(&mut self, p: &Placeholder, valid: &[&str]) {
        for (opt, value) in &p.options {
            if !valid.contains(&opt.as_str()) {
                let help = if valid.is_empty() {
                    format!("`<<{}>>` takes no options", p.name)
                } else {
                    let hint = did_you_mean(opt, valid.iter().copied());
                    let names: Vec<String> = valid.iter().map(|v| format!("`--{v}`")).collect();
                    format!("{hint}valid options for `<<{}>>`: {}", p.name, names.join(", "))
                };
                self.errors
                    .push(Diag::new(format!("unknown option `--{opt}` in `<<{}>>`", p.raw), help));
                continue;
            }
            let wants_value = opt != "desc";
            match (wants_value, value) {
                (true, None) => self.errors.push(Diag::new(
                    format!("option `--{opt}` in `<<{}>>` needs a value", p.raw),
                    match opt.as_str() {
                        "count" => format!("give a number, e.g. `<<{} --count 20>>`", p.name),
                        "prefix" => "give a table alias, e.g. `<<columns --prefix u>>`".to_owned(),
                        _ => format!("list fields, e.g. `<<{} --{opt} id,created_at>>`", p.name),
                    },
                )),
                (false, Some(v)) => self.errors.push(Diag::new(
                    format!("option `--{opt}` in `<<{}>>` takes no value, found `{v}`", p.raw),
                    format!(
                        "write `<<{} --{opt}>>`",
                        p.name.clone()
                            + p.arg.as_ref().map(|a| format!(":{a}")).as_deref().unwrap_or("")
                    ),
                )),
                _ => {}
            }
        }
    }

    fn option(&self, p: &Placeholder, name: &str) -> Option<String> {
        p.options.iter().find(|(o, _)| o == name).and_then(|(_, v)| v.clone())
    }

    fn has_option(&self, p: &Placeholder, name: &str) -> bool {
        p.options.iter().any(|(o, _)| o == name)
    }

    fn no_arg(&mut self, p: &Placeholder, allowed: &[&str]) {
        if let Some(a) = &p.arg
            && !allowed.contains(&a.as_str())
        {
            {
                self.errors.push(Diag::new(
                    format!("`<<{}>>`: `{}` takes no `:{a}` argument", p.raw, p.name),
                    format!("write `<<{}>>`", p.name),
                ));
            }
        }
    }

    /// The fields a placeholder covers after `--exclude` / `--only`.
    fn selected(&mut self, p: &Placeholder, skip_keys: bool) -> Vec<FieldInfo> {
        let exclude = self.option(p, "exclude");
        let only = self.option(p, "only");
        if exclude.is_some() && only.is_some() {
            self.errors.push(Diag::new(
                format!("`<<{}>>` has both `--exclude` and `--only`", p.raw),
                "use one of them: `--only` names the fields to keep, `--exclude` the ones to leave out",
            ));
        }
        let mut named = |list: &Option<String>, opt: &str| -> Vec<String> {
            let Some(list) = list else { return Vec::new() };
            let mut out = Vec::new();
            for name in list.split(',').filter(|s| !s.is_empty()) {
                match self.field(name) {
                    Some(f) => out.push(f.ident.clone()),
                    None => {
                        let hint =
                            did_you_mean(name, self.entity.fields.iter().map(|f| f.ident.as_str()));
                        self.errors.push(Diag::new(
                            format!("`--{opt} {name}` in `<<{}>>`: `{}` has no field or column `{name}`", p.raw, self.entity.name),
                            format!("{hint}the fields are {}", self.field_names()),
                        ));
                    }
                }
            }
            out
        };
        let excluded = named(&exclude, "exclude");
        let kept = named(&only, "only");
        self.entity
            .fields
            .iter()
            .filter(|f| !(skip_keys && f.key))
            .filter(|f| !excluded.contains(&f.ident))
            .filter(|f| only.is_none() || kept.contains(&f.ident))
            .cloned()
            .collect()
    }

    /// The argument a `<<values>>`/`<<set>>`/`<<unnest>>` binds: named by `:arg`, else the only
    /// argument of the right kind.
    fn entity_arg(&mut self, p: &Placeholder, kind: ArgKind) -> Option<String> {
        let ty = match kind {
            ArgKind::EntitySlice => format!("&[{}]", self.entity.name),
            _ => format!("&{}", self.entity.name),
        };
        // `:auto` (as C# Sqlx writes `{{values:auto}}`) is the default: the only argument of the
        // right kind, unless an argument is called `auto`.
        let named = p.arg.as_ref().filter(|a| *a != "auto" || self.arg(a).is_some());
        if let Some(name) = named {
            return match self.arg(name) {
                Some(a) if a.kind == kind => Some(name.clone()),
                Some(_) => {
                    self.errors.push(Diag::new(
                        format!("`<<{}>>`: argument `{name}` is not of type `{ty}`", p.raw),
                        format!("`<<{}>>` binds the fields of an argument of type `{ty}`", p.name),
                    ));
                    None
                }
                None => {
                    self.errors.push(Diag::new(
                        format!("`<<{}>>`: `{name}` is not an argument of the method", p.raw),
                        format!("the arguments are {}", self.arg_names()),
                    ));
                    None
                }
            };
        }
        let candidates: Vec<&ArgInfo> = self.args.iter().filter(|a| a.kind == kind).collect();
        match candidates.as_slice() {
            [one] => Some(one.name.clone()),
            [] => {
                self.errors.push(Diag::new(
                    format!("`<<{}>>` needs an argument of type `{ty}` to bind, and the method has none", p.raw),
                    format!("add one, e.g. `async fn f(&self, row: {ty})`"),
                ));
                None
            }
            many => {
                let names: Vec<&str> = many.iter().map(|a| a.name.as_str()).collect();
                self.errors.push(Diag::new(
                    format!("`<<{}>>`: more than one argument has type `{ty}`", p.raw),
                    format!(
                        "name the one to bind, e.g. `<<{}:{}>>` (candidates: {})",
                        p.name,
                        names[0],
                        list(names.iter().copied())
                    ),
                ));
                None
            }
        }
    }

    /// `SELECT * FROM UNNEST($1, $2, …)`, one array per field. An array-valued field cannot be
    /// one of them (UNNEST flattens arrays of arrays), so when there is one each row's array is
    /// cut out of every row's elements laid end to end by its bounds, and the columns are
    /// named: `SELECT __u.c0, ($2)[__u.f1:__u.l1] FROM UNNEST($1, $3, $4) AS __u(c0, f1, l1)`.
    fn unnest(&mut self, fields: &[FieldInfo], arg: &str) -> String {
        // Typed arrays where the column's type is not the parameter's own.
        let typed = |n: usize, cast: &Option<String>, array: &str| match cast {
            Some(ty) => format!("${n}::{ty}{array}"),
            None => format!("${n}"),
        };
        if !fields.iter().any(|f| f.array) {
            let params: Vec<String> = fields
                .iter()
                .map(|f| {
                    let n = self.bind(Bind::Column { arg: arg.into(), field: f.ident.clone() });
                    typed(n, &f.cast, "[]")
                })
                .collect();
            return format!("SELECT * FROM UNNEST({})", params.join(", "));
        }
        let (mut select, mut params, mut names) = (Vec::new(), Vec::new(), Vec::new());
        for (i, f) in fields.iter().enumerate() {
            if f.array {
                let part = |part| Bind::Array { arg: arg.into(), field: f.ident.clone(), part };
                let elements = self.bind(part(ArrayPart::Elements));
                let (first, last) =
                    (self.bind(part(ArrayPart::First)), self.bind(part(ArrayPart::Last)));
                // The column's own type is already an array type.
                select.push(format!("({})[__u.f{i}:__u.l{i}]", typed(elements, &f.cast, "")));
                params.extend([format!("${first}"), format!("${last}")]);
                names.extend([format!("f{i}"), format!("l{i}")]);
            } else {
                let n = self.bind(Bind::Column { arg: arg.into(), field: f.ident.clone() });
                select.push(format!("__u.c{i}"));
                params.push(typed(n, &f.cast, "[]"));
                names.push(format!("c{i}"));
            }
        }
        format!(
            "SELECT {} FROM UNNEST({}) AS __u({})",
            select.join(", "),
            params.join(", "),
            names.join(", ")
        )
    }

    fn placeholder(&mut self, p: &Placeholder) -> String {
        let Some(kind) = p.kind else {
            self.errors.push(super::unknown_placeholder(p));
            return String::new();
        };
        self.check_options(p, kind.options());
        match kind {
            Kind::Table => {
                self.no_arg(p, &[]);
                quote_table(&self.entity.table)
            }
            Kind::Columns => {
                self.no_arg(p, &["auto"]);
                let prefix = self
                    .option(p, "prefix")
                    .map(|t| format!("{}.", quote_ident(&t)))
                    .unwrap_or_default();
                let fields = self.selected(p, false);
                fields
                    .iter()
                    .map(|f| format!("{prefix}{}", quote_ident(&f.column)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            Kind::Returning => {
                self.no_arg(p, &[]);
                let fields = self.selected(p, false);
                let cols: Vec<String> = fields.iter().map(|f| quote_ident(&f.column)).collect();
                format!("RETURNING {}", cols.join(", "))
            }
            Kind::Values => {
                let fields = self.selected(p, false);
                let Some(arg) = self.entity_arg(p, ArgKind::Entity) else { return String::new() };
                let params: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        format!(
                            "${}",
                            self.bind(Bind::Field { arg: arg.clone(), field: f.ident.clone() })
                        )
                    })
                    .collect();
                params.join(", ")
            }
            Kind::Set => {
                let fields = self.selected(p, true);
                let Some(arg) = self.entity_arg(p, ArgKind::Entity) else { return String::new() };
                if fields.is_empty() {
                    self.errors.push(Diag::new(
                        format!("`<<{}>>` leaves no column to set", p.raw),
                        "key fields are never set; keep at least one other field",
                    ));
                }
                let sets: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        let n = self.bind(Bind::Field { arg: arg.clone(), field: f.ident.clone() });
                        format!("{} = ${n}", quote_ident(&f.column))
                    })
                    .collect();
                sets.join(", ")
            }
            Kind::Unnest => {
                let fields = self.selected(p, false);
                let Some(arg) = self.entity_arg(p, ArgKind::EntitySlice) else {
                    return String::new();
                };
                self.unnest(&fields, &arg)
            }
            Kind::Where => match p.arg.as_deref() {
                Some("id") => self.where_id(p),
                other => {
                    let found = other.map(|o| format!(" (found `:{o}`)")).unwrap_or_default();
                    self.errors.push(Diag::new(
                        format!("`<<{}>>` needs `:id` or `:auto`{found}", p.raw),
                        "write `<<where:id>>` to match the key, or `<<where:auto>>` to match every other argument by column name",
                    ));
                    String::new()
                }
            },
            Kind::OrderBy => self.orderby(p),
            Kind::Limit => {
                self.no_arg(p, &[]);
                self.limit(p)
            }
            Kind::Offset => {
                self.no_arg(p, &[]);
                self.offset(p)
            }
            Kind::Paginate => {
                self.no_arg(p, &[]);
                let limit = self.limit(p);
                let offset = self.offset(&Placeholder { options: Vec::new(), ..p.clone() });
                format!("{limit} {offset}")
            }
            Kind::Count => {
                self.no_arg(p, &[]);
                "COUNT(*)".to_owned()
            }
            Kind::Total => {
                self.no_arg(p, &[]);
                self.has_total = true;
                "COUNT(*) OVER ()".to_owned()
            }
        }
    }

    fn scalar_arg(&mut self, p: &Placeholder, name: &str, example: &str) -> Option<usize> {
        match self.arg(name) {
            Some(a) if a.kind == ArgKind::Scalar => Some(self.bind(Bind::Arg(name.to_owned()))),
            _ => {
                self.errors.push(Diag::new(
                    format!("`<<{}>>` binds an argument named `{name}`, and the method has none", p.raw),
                    format!("add `{name}: i64` to the method, or use a constant: `<<{} --count {example}>>`", p.name),
                ));
                None
            }
        }
    }

    fn count(&mut self, p: &Placeholder) -> Option<String> {
        let value = self.option(p, "count")?;
        if value.parse::<u64>().is_err() {
            self.errors.push(Diag::new(
                format!("`--count {value}` in `<<{}>>` is not a whole number", p.raw),
                format!("write a constant such as `<<{} --count 20>>`", p.name),
            ));
        }
        Some(value)
    }

    fn limit(&mut self, p: &Placeholder) -> String {
        if let Some(n) = self.count(p) {
            return format!("LIMIT {n}");
        }
        match self.scalar_arg(p, "limit", "20") {
            Some(n) => {
                self.limit_bind = Some(n - 1);
                format!("LIMIT ${n}")
            }
            None => String::new(),
        }
    }

    fn offset(&mut self, p: &Placeholder) -> String {
        if let Some(n) = self.count(p) {
            return format!("OFFSET {n}");
        }
        match self.scalar_arg(p, "offset", "0") {
            Some(n) => {
                self.offset_bind = Some(n - 1);
                format!("OFFSET ${n}")
            }
            None => String::new(),
        }
    }

    fn orderby(&mut self, p: &Placeholder) -> String {
        let Some(cols) = p.arg.clone() else {
            self.errors.push(Diag::new(
                format!("`<<{}>>` needs the column(s) to order by", p.raw),
                format!(
                    "write e.g. `<<orderby:created_at --desc>>` (fields: {})",
                    self.field_names()
                ),
            ));
            return String::new();
        };
        let mut out = Vec::new();
        for name in cols.split(',').filter(|c| !c.is_empty()) {
            match self.field(name) {
                Some(f) => out.push(quote_ident(&f.column)),
                None => {
                    let hint =
                        did_you_mean(name, self.entity.fields.iter().map(|f| f.ident.as_str()));
                    self.errors.push(Diag::new(
                        format!(
                            "`<<{}>>`: `{}` has no field or column `{name}` to order by",
                            p.raw, self.entity.name
                        ),
                        format!("{hint}the fields are {}", self.field_names()),
                    ));
                }
            }
        }
        let dir = if self.has_option(p, "desc") { " DESC" } else { "" };
        format!(
            "ORDER BY {}",
            out.iter().map(|c| format!("{c}{dir}")).collect::<Vec<_>>().join(", ")
        )
    }

    fn where_id(&mut self, p: &Placeholder) -> String {
        let keys: Vec<FieldInfo> = self.entity.fields.iter().filter(|f| f.key).cloned().collect();
        if keys.is_empty() {
            self.errors.push(Diag::new(
                format!("`<<{}>>`: `{}` declares no key field", p.raw, self.entity.name),
                format!("mark the key with `#[entity(key)]` on its field in `{}`, or write the condition yourself: `WHERE col = @arg`", self.entity.name),
            ));
            return String::new();
        }
        let entity_args: Vec<String> = self
            .args
            .iter()
            .filter(|a| a.kind == ArgKind::Entity)
            .map(|a| a.name.clone())
            .collect();
        let mut conds = Vec::new();
        for key in &keys {
            let direct = self
                .args
                .iter()
                .find(|a| {
                    a.kind == ArgKind::Scalar && (a.name == key.ident || a.name == key.column)
                })
                .map(|a| a.name.clone());
            let bind = match (direct, entity_args.as_slice()) {
                (Some(name), _) => Bind::Arg(name),
                (None, [one]) => Bind::Field { arg: one.clone(), field: key.ident.clone() },
                (None, _) => {
                    self.errors.push(Diag::new(
                        format!("`<<{}>>`: no argument named `{}` and no `&{}` argument to take the key from", p.raw, key.ident, self.entity.name),
                        format!("add an argument `{}` (the arguments are {})", key.ident, self.arg_names()),
                    ));
                    continue;
                }
            };
            let n = self.bind(bind);
            conds.push(format!("{} = ${n}", quote_ident(&key.column)));
        }
        conds.join(" AND ")
    }

    fn is_used(&self, name: &str) -> bool {
        self.binds.iter().any(|b| match b {
            Bind::Arg(a)
            | Bind::Field { arg: a, .. }
            | Bind::Column { arg: a, .. }
            | Bind::Array { arg: a, .. } => a == name,
        })
    }

    fn where_auto(&mut self) -> String {
        let free: Vec<String> = self
            .args
            .iter()
            .filter(|a| {
                a.kind == ArgKind::Scalar && !a.name.starts_with('_') && !self.is_used(&a.name)
            })
            .map(|a| a.name.clone())
            .collect();
        if free.is_empty() {
            self.errors.push(Diag::new(
                "`<<where:auto>>` has no argument left to match",
                "add arguments named like the columns to filter on, e.g. `async fn find(&self, phone: &str)`",
            ));
            return String::new();
        }
        let mut conds = Vec::new();
        for name in free {
            match self.field(&name).cloned() {
                Some(f) => {
                    let n = self.bind(Bind::Arg(name));
                    conds.push(format!("{} = ${n}", quote_ident(&f.column)));
                }
                None => {
                    let hint =
                        did_you_mean(&name, self.entity.fields.iter().map(|f| f.ident.as_str()));
                    self.errors.push(Diag::new(
                        format!("`<<where:auto>>`: argument `{name}` matches no field or column of `{}`", self.entity.name),
                        format!("{hint}name the argument after a field ({}), bind it elsewhere with `@{name}`, or start its name with `_`", self.field_names()),
                    ));
                }
            }
        }
        conds.join(" AND ")
    }
}
