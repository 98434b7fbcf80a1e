//! The template engine on plain strings: lexing rules, every placeholder, every diagnostic.

use super::*;

/// The single statement of a template without optional clauses.
fn expand(template: &str, entity: &EntityInfo, args: &[ArgInfo]) -> Result<Expanded, Vec<Diag>> {
    super::expand(template, entity, args).map(|mut e| {
        assert_eq!(e.variants.len(), 1, "{template} has optional clauses");
        e.variants.remove(0)
    })
}

fn user() -> EntityInfo {
    let f = |ident: &str, column: &str, key: bool| FieldInfo {
        ident: ident.into(),
        column: column.into(),
        key,
        cast: None,
        array: false,
    };
    EntityInfo {
        name: "User".into(),
        table: "users".into(),
        fields: vec![
            f("id", "id", true),
            f("phone", "phone", false),
            f("email", "email", false),
            f("nick_name", "nick", false),
        ],
    }
}

fn scalar(name: &str) -> ArgInfo {
    ArgInfo { name: name.into(), kind: ArgKind::Scalar }
}

fn entity(name: &str) -> ArgInfo {
    ArgInfo { name: name.into(), kind: ArgKind::Entity }
}

fn slice(name: &str) -> ArgInfo {
    ArgInfo { name: name.into(), kind: ArgKind::EntitySlice }
}

fn sql(template: &str, args: &[ArgInfo]) -> String {
    match expand(template, &user(), args) {
        Ok(x) => x.sql,
        Err(e) => panic!("{template}: {e:?}"),
    }
}

fn binds(template: &str, args: &[ArgInfo]) -> Vec<Bind> {
    expand(template, &user(), args).expect("expands").binds
}

fn errors(template: &str, args: &[ArgInfo]) -> Vec<String> {
    match super::expand(template, &user(), args) {
        Ok(x) => panic!("{template} expanded to {:?}", x.variants),
        Err(e) => e.into_iter().map(|d| format!("{} | {}", d.message, d.help)).collect(),
    }
}

fn arg(name: &str) -> Bind {
    Bind::Arg(name.into())
}

#[test]
fn string_literals_are_left_alone() {
    let t = "SELECT '@x <<table>> $1 {{y}}', 'it''s @here' FROM t WHERE a = @id";
    assert_eq!(
        sql(t, &[scalar("id")]),
        "SELECT '@x <<table>> $1 {{y}}', 'it''s @here' FROM t WHERE a = $1"
    );
}

#[test]
fn escape_strings_keep_backslash_quotes() {
    let t = r"SELECT E'a\'@b' , @id";
    assert_eq!(sql(t, &[scalar("id")]), r"SELECT E'a\'@b' , $1");
}

#[test]
fn quoted_identifiers_are_left_alone() {
    assert_eq!(
        sql(r#"SELECT "we@ird""" FROM "<<table>>" WHERE a = @id"#, &[scalar("id")]),
        r#"SELECT "we@ird""" FROM "<<table>>" WHERE a = $1"#
    );
}

#[test]
fn comments_are_left_alone() {
    let t = "SELECT 1 -- @nope <<table>>\n/* @nope /* nested @no */ $1 */ WHERE a = @id";
    assert_eq!(
        sql(t, &[scalar("id")]),
        "SELECT 1 -- @nope <<table>>\n/* @nope /* nested @no */ $1 */ WHERE a = $1"
    );
}

#[test]
fn dollar_quoted_bodies_are_left_alone() {
    let t = "DO $body$ BEGIN PERFORM @x, $1; END $body$; SELECT $$@y$$, @id";
    assert_eq!(
        sql(t, &[scalar("id")]),
        "DO $body$ BEGIN PERFORM @x, $1; END $body$; SELECT $$@y$$, $1"
    );
}

#[test]
fn casts_follow_parameters() {
    assert_eq!(
        sql("SELECT @id::text, @id::int8[]", &[scalar("id")]),
        "SELECT $1::text, $1::int8[]"
    );
}

#[test]
fn at_operators_are_not_parameters() {
    let t = "SELECT 1 WHERE tags @> @tags AND tags <@ @tags AND doc @@ q AND @-5 < 0";
    assert_eq!(
        sql(t, &[scalar("tags")]),
        "SELECT 1 WHERE tags @> $1 AND tags <@ $1 AND doc @@ q AND @-5 < 0"
    );
}

#[test]
fn shift_and_inet_operators_are_not_placeholders() {
    let t = "SELECT 1 << 2, ip << inet '10.0.0.0/8', ip <<= @net, '{{' || @net";
    assert_eq!(
        sql(t, &[scalar("net")]),
        "SELECT 1 << 2, ip << inet '10.0.0.0/8', ip <<= $1, '{{' || $1"
    );
}

#[test]
fn a_parameter_used_twice_binds_once() {
    let t = "SELECT 1 WHERE a = @x OR b = @x OR c = @y";
    assert_eq!(sql(t, &[scalar("x"), scalar("y")]), "SELECT 1 WHERE a = $1 OR b = $1 OR c = $2");
    assert_eq!(binds(t, &[scalar("x"), scalar("y")]), vec![arg("x"), arg("y")]);
}

#[test]
fn table_and_columns() {
    assert_eq!(
        sql("SELECT <<columns>> FROM <<table>>", &[]),
        "SELECT id, phone, email, nick FROM users"
    );
    assert_eq!(
        sql("SELECT <<columns:auto>> FROM {{table}}", &[]),
        "SELECT id, phone, email, nick FROM users"
    );
    assert_eq!(sql("<<columns --exclude id,nick_name>>", &[]), "phone, email");
    assert_eq!(sql("<<columns --exclude id, email>>", &[]), "phone, nick");
    assert_eq!(sql("<<columns --only nick,phone>>", &[]), "phone, nick");
    assert_eq!(sql("<<columns --prefix u --only id>>", &[]), "u.id");
}

#[test]
fn c_sharp_sqlx_option_syntax_is_an_alias() {
    let user_arg = || vec![entity("user")];
    assert_eq!(sql("{{columns:auto|exclude=Id}}", &[]), "phone, email, nick");
    assert_eq!(sql("{{columns:auto|exclude=Id,NickName}}", &[]), "phone, email");
    assert_eq!(sql("{{columns|only=Phone, Email}}", &[]), "phone, email");
    assert_eq!(sql("{{columns|prefix=u|only=Id}}", &[]), "u.id");
    assert_eq!(sql("{{values:auto}}", &user_arg()), "$1, $2, $3, $4");
    assert_eq!(sql("{{set:auto|exclude=Email}}", &user_arg()), "phone = $1, nick = $2");
    assert_eq!(sql("{{orderby:NickName|desc}}", &[]), "ORDER BY nick DESC");
    // An argument really called `auto` is still the one `:auto` names.
    let auto = [entity("auto"), entity("user")];
    assert_eq!(
        binds("{{values:auto|only=Id}}, @user.phone", &auto),
        vec![
            Bind::Field { arg: "auto".into(), field: "id".into() },
            Bind::Field { arg: "user".into(), field: "phone".into() }
        ]
    );
    // A name that is no field keeps the user's intent in the message.
    let e = errors("{{columns:auto|exclude=Idd}}", &[]);
    assert!(e[0].contains("`--exclude Idd` in `<<columns:auto|exclude=Idd>>`"), "{e:?}");
    assert!(errors("{{columns|=Id}}", &[])[0].contains("unexpected `|=Id`"));
}

#[test]
fn identifiers_are_quoted_only_when_needed() {
    assert_eq!(quote_ident("users"), "users");
    assert_eq!(quote_ident("user"), "\"user\"");
    assert_eq!(quote_ident("order"), "\"order\"");
    assert_eq!(quote_ident("Everything"), "\"Everything\"");
    assert_eq!(quote_ident("two words"), "\"two words\"");
    assert_eq!(quote_ident("q\"uote"), "\"q\"\"uote\"");
    assert_eq!(quote_ident("1st"), "\"1st\"");
    assert_eq!(quote_table("audit.log"), "audit.log");
    assert_eq!(quote_table("audit.User"), "audit.\"User\"");
}

#[test]
fn values_set_and_returning() {
    let a = [entity("user")];
    assert_eq!(sql("VALUES (<<values>>)", &a), "VALUES ($1, $2, $3, $4)");
    assert_eq!(
        sql("VALUES (<<values --exclude id>>) <<returning --only id>>", &a),
        "VALUES ($1, $2, $3) RETURNING id"
    );
    assert_eq!(
        sql("SET <<set>> WHERE <<where:id>>", &a),
        "SET phone = $1, email = $2, nick = $3 WHERE id = $4"
    );
    assert_eq!(
        binds("SET <<set --only email>> WHERE <<where:id>>", &a),
        vec![
            Bind::Field { arg: "user".into(), field: "email".into() },
            Bind::Field { arg: "user".into(), field: "id".into() },
        ]
    );
    assert_eq!(sql("<<returning>>", &[]), "RETURNING id, phone, email, nick");
}

#[test]
fn named_entity_arguments() {
    let a = [entity("old"), entity("new")];
    assert_eq!(
        sql("SET <<set:new>> WHERE id = @old.id", &a),
        "SET phone = $1, email = $2, nick = $3 WHERE id = $4"
    );
}

#[test]
fn where_id_prefers_an_argument_named_like_the_key() {
    assert_eq!(binds("<<where:id>>", &[scalar("id")]), vec![arg("id")]);
    let from_entity = binds("<<where:id>>", &[entity("u")]);
    assert_eq!(from_entity, vec![Bind::Field { arg: "u".into(), field: "id".into() }]);
}

#[test]
fn composite_keys() {
    let mut e = user();
    e.fields[1].key = true;
    let x = expand("<<where:id>>", &e, &[scalar("id"), scalar("phone")]).expect("expands");
    assert_eq!(x.sql, "id = $1 AND phone = $2");
}

#[test]
fn where_auto_matches_unused_arguments_by_field_or_column() {
    let a = [scalar("phone"), scalar("nick"), scalar("limit")];
    assert_eq!(
        sql("WHERE <<where:auto>> <<limit>>", &a),
        "WHERE phone = $2 AND nick = $3 LIMIT $1"
    );
}

#[test]
fn orderby_limit_offset_paginate_count_total() {
    assert_eq!(sql("<<orderby:nick_name>>", &[]), "ORDER BY nick");
    assert_eq!(sql("<<orderby:phone,id --desc>>", &[]), "ORDER BY phone DESC, id DESC");
    assert_eq!(
        sql("<<limit>> <<offset>>", &[scalar("limit"), scalar("offset")]),
        "LIMIT $1 OFFSET $2"
    );
    assert_eq!(sql("<<limit --count 5>> <<offset --count 10>>", &[]), "LIMIT 5 OFFSET 10");
    let x = expand("<<paginate>>", &user(), &[scalar("limit"), scalar("offset")]).expect("expands");
    assert_eq!(
        (x.sql.as_str(), x.limit_bind, x.offset_bind),
        ("LIMIT $1 OFFSET $2", Some(0), Some(1))
    );
    assert_eq!(sql("<<paginate --count 20>>", &[scalar("offset")]), "LIMIT 20 OFFSET $1");
    assert_eq!(sql("SELECT <<count>>, <<total>>", &[]), "SELECT COUNT(*), COUNT(*) OVER ()");
}

#[test]
fn unnest_binds_columns_first() {
    let a = [scalar("stamp"), slice("rows")];
    let x = expand(
        "INSERT INTO t (<<columns --exclude email>>) <<unnest --exclude email>> RETURNING @stamp",
        &user(),
        &a,
    )
    .expect("expands");
    assert_eq!(
        x.sql,
        "INSERT INTO t (id, phone, nick) SELECT * FROM UNNEST($1, $2, $3) RETURNING $4"
    );
    assert_eq!(x.binds[0], Bind::Column { arg: "rows".into(), field: "id".into() });
    assert_eq!(x.binds[3], arg("stamp"));
}

#[test]
fn unnest_cuts_array_fields_out_of_their_elements_laid_end_to_end() {
    let mut entity = user();
    entity.fields[1].array = true;
    entity.fields[1].cast = Some("\"mood\"[]".into());
    entity.fields[2].cast = Some("\"mood\"".into());
    let x = expand("INSERT INTO t (<<columns>>) <<unnest>>", &entity, &[slice("rows")])
        .expect("expands");
    assert_eq!(
        x.sql,
        "INSERT INTO t (id, phone, email, nick) SELECT __u.c0, ($2::\"mood\"[])[__u.f1:__u.l1], \
         __u.c2, __u.c3 FROM UNNEST($1, $3, $4, $5::\"mood\"[], $6) AS __u(c0, f1, l1, c2, c3)"
    );
    let part = |part| Bind::Array { arg: "rows".into(), field: "phone".into(), part };
    assert_eq!(
        x.binds[1..4],
        [part(ArrayPart::Elements), part(ArrayPart::First), part(ArrayPart::Last)]
    );
    assert_eq!(x.binds[4], Bind::Column { arg: "rows".into(), field: "email".into() });
}

#[test]
fn underscore_arguments_may_go_unused() {
    assert_eq!(sql("SELECT 1", &[scalar("_ignored")]), "SELECT 1");
}

#[test]
fn unknown_placeholder_suggests_the_closest() {
    let e = errors("SELECT <<colums>>", &[]);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("unknown placeholder `<<colums>>` | did you mean `columns`?"),
        "{e:?}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let e = errors("SELECT <<colums>>, @nope FROM <<tabel>> WHERE id = $1", &[scalar("id")]);
    assert_eq!(e.len(), 1, "scanning errors stop before expansion: {e:?}");
    let e = errors("SELECT <<colums>>, @nope FROM <<tabel>>", &[]);
    assert_eq!(e.len(), 3, "{e:?}");
}

#[test]
fn diagnostics_name_the_problem_and_the_valid_forms() {
    let cases: &[(&str, &[ArgInfo], &str)] = &[
        ("SELECT <<columns", &[], "unclosed placeholder `<<columns`"),
        ("SELECT <<columns FROM <<table>>", &[], "unclosed placeholder `<<columns`"),
        ("SELECT <<columns", &[], "close it with `>>`, e.g. `<<columns>>`"),
        (
            "WHERE price_cents<<status",
            &[],
            "for the shift operator write a space after it (`<< status`)",
        ),
        ("<<columns --exlude id>>", &[], "did you mean `exclude`?"),
        ("<<columns --exclude>>", &[], "needs a value"),
        ("<<columns --exclude idd>>", &[], "did you mean `id`?"),
        ("<<columns --exclude id --only phone>>", &[], "both `--exclude` and `--only`"),
        ("<<table --desc>>", &[], "`<<table>>` takes no options"),
        ("<<table:x>>", &[], "takes no `:x` argument"),
        ("<<orderby:id --desc yes>>", &[], "takes no value"),
        ("WHERE a = @idd", &[scalar("id")], "did you mean `id`?"),
        ("WHERE a = @u.phon", &[entity("u")], "did you mean `phone`?"),
        ("WHERE a = @id.x", &[scalar("id")], "only an entity argument"),
        ("WHERE a = @u", &[entity("u")], "binds a whole `User`"),
        ("WHERE a = @id", &[scalar("id"), scalar("other")], "argument `other` is not used"),
        ("WHERE a = $1", &[], "hand-written positional parameter `$1`"),
        ("VALUES (<<values>>)", &[], "needs an argument of type `&User`"),
        ("SET <<set>>", &[scalar("id")], "needs an argument of type `&User`"),
        ("<<set --only id>>", &[entity("u")], "leaves no column to set"),
        ("<<where:id>>", &[scalar("user_id")], "no argument named `id`"),
        ("<<where>>", &[], "needs `:id` or `:auto`"),
        ("<<where:auto>>", &[], "has no argument left to match"),
        ("<<where:auto>>", &[scalar("mobile")], "matches no field or column"),
        ("<<orderby>>", &[], "needs the column(s) to order by"),
        ("<<orderby:created>>", &[], "no field or column `created`"),
        ("<<limit>>", &[], "binds an argument named `limit`"),
        ("<<limit --count x>>", &[], "is not a whole number"),
        ("<<unnest>>", &[entity("u")], "needs an argument of type `&[User]`"),
        ("VALUES (<<values>>)", &[entity("a"), entity("b")], "more than one argument"),
        ("SELECT 'open", &[], "unterminated string literal"),
        ("SELECT \"open", &[], "unterminated quoted identifier"),
        ("SELECT /* open", &[], "unterminated `/*` comment"),
        ("SELECT $x$ open", &[], "unterminated dollar-quoted string `$x$`"),
        ("", &[], "the SQL template is empty"),
    ];
    for (template, args, needle) in cases {
        let e = errors(template, args);
        assert!(e.iter().any(|m| m.contains(needle)), "{template}: expected `{needle}` in {e:?}");
        assert!(
            e.iter().all(|m| m.contains(" | ") && !m.ends_with(" | ")),
            "every message has a help: {e:?}"
        );
    }
}

fn variants(template: &str, args: &[ArgInfo]) -> Vec<String> {
    let e = super::expand(template, &user(), args).expect("expands");
    e.variants.into_iter().map(|v| v.sql).collect()
}

#[test]
fn optional_clauses_make_one_statement_per_combination() {
    let t = "SELECT id FROM users WHERE true<<if some(phone)>> AND phone = @phone<</if>><<if any(ids)>> AND id = ANY(@ids)<</if>> <<limit>>";
    let args = [scalar("phone"), scalar("ids"), scalar("limit")];
    assert_eq!(
        variants(t, &args),
        [
            "SELECT id FROM users WHERE true LIMIT $1",
            "SELECT id FROM users WHERE true AND phone = $1 LIMIT $2",
            "SELECT id FROM users WHERE true AND id = ANY($1) LIMIT $2",
            "SELECT id FROM users WHERE true AND phone = $1 AND id = ANY($2) LIMIT $3",
        ]
    );
    let e = super::expand(t, &user(), &args).expect("expands");
    assert_eq!(
        e.conditions,
        [
            Condition { kind: CondKind::Some, arg: "phone".into() },
            Condition { kind: CondKind::Any, arg: "ids".into() },
        ]
    );
}

#[test]
fn one_condition_may_guard_several_clauses_and_need_not_bind() {
    let t = "SELECT 1 {{if some(flag)}}WHERE a{{/if}} ORDER BY 1<<if some(flag)>> DESC<</if>>";
    assert_eq!(
        variants(t, &[scalar("flag")]),
        ["SELECT 1  ORDER BY 1", "SELECT 1 WHERE a ORDER BY 1 DESC"]
    );
}

#[test]
fn optional_clause_diagnostics() {
    let cases: &[(&str, &[ArgInfo], &str)] = &[
        ("SELECT 1 <<if some(x)>> AND a", &[scalar("x")], "is never closed"),
        ("SELECT 1 <</if>>", &[], "without an opening"),
        (
            "SELECT 1 <<if some(x)>><<if some(y)>><</if>><</if>>",
            &[scalar("x"), scalar("y")],
            "do not nest",
        ),
        ("SELECT 1 <<if some(nope)>>a<</if>>", &[scalar("x")], "`nope` is not an argument"),
        ("SELECT 1 <<if maybe(x)>>a<</if>>", &[scalar("x")], "no condition it understands"),
        (
            "SELECT 1 <<if some(a)>>1<</if>><<if some(b)>>1<</if>><<if some(c)>>1<</if>><<if some(d)>>1<</if>><<if some(e)>>1<</if>>",
            &[scalar("a"), scalar("b"), scalar("c"), scalar("d"), scalar("e")],
            "5 conditions in optional clauses make 32 statements; at most 16",
        ),
    ];
    for (template, args, needle) in cases {
        let e = errors(template, args);
        assert!(e.iter().any(|m| m.contains(needle)), "{template}: expected `{needle}` in {e:?}");
    }
}

#[test]
fn a_mistake_in_every_variant_is_reported_once() {
    let e = errors("SELECT <<colums>> <<if some(x)>>AND a = @x<</if>>", &[scalar("x")]);
    assert_eq!(e.len(), 1, "{e:?}");
}

#[test]
fn template_errors_know_the_bytes_at_fault() {
    let located = |t: &'static str| -> Vec<&'static str> {
        let errors = super::expand(t, &user(), &[scalar("id")]).expect_err("fails");
        errors.iter().map(|d| d.at.clone().map_or("(none)", |r| &t[r])).collect()
    };
    assert_eq!(
        located("SELECT <<colums>> FROM <<table>> WHERE id = @nope AND id = @id"),
        ["<<colums>>", "@nope"]
    );
    assert_eq!(
        located("SELECT <<columns --only nick, bogus>> FROM t WHERE id = @id"),
        ["<<columns --only nick, bogus>>"]
    );
    assert_eq!(located("SELECT 1 WHERE x = $1 AND y = 'open"), ["$1", "'open"]);
    assert_eq!(
        located("SELECT 1 WHERE id = @id <<if some(nope)>> AND x <</if>> <</if>>"),
        ["<<if some(nope)>>", "<</if>>"]
    );
}
