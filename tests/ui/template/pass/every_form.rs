//! Every placeholder, the `{{…}}` alias, and SQL that only looks like template syntax.

use repo_runtime::{Entity, Page, Result, repository_for};

#[derive(Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    pub tags: Vec<String>,
    pub flags: i32,
}

#[repository_for(User)]
pub trait Users {
    #[sql("SELECT <<columns:auto>> FROM <<table>> WHERE <<where:id>>")]
    async fn get(&self, id: i64) -> Result<Option<User>>;

    #[sql("SELECT {{columns --prefix u}} FROM {{table}} u WHERE {{where:id}}")]
    async fn get_alias(&self, id: i64) -> Result<Option<User>>;

    #[sql("SELECT <<columns --only id,phone>>, '' AS tags, 0 AS flags FROM <<table>>")]
    async fn only(&self) -> Result<Vec<User>>;

    #[sql("INSERT INTO <<table>> (<<columns --exclude id>>) VALUES (<<values --exclude id>>) <<returning>>")]
    async fn insert(&self, user: &User) -> Result<User>;

    #[sql("UPDATE <<table>> SET <<set --exclude tags>> WHERE <<where:id>> <<returning --only id>>")]
    async fn update(&self, user: &User) -> Result<Option<i64>>;

    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:auto>>")]
    async fn find(&self, phone: &str, flags: i32) -> Result<Vec<User>>;

    #[sql("SELECT <<columns>> FROM <<table>> <<orderby:phone,id --desc>> <<limit>> <<offset>>")]
    async fn list(&self, limit: i64, offset: i64) -> Result<Vec<User>>;

    #[sql("SELECT <<columns>>, <<total>> FROM <<table>> <<orderby:id>> <<paginate --count 20>>")]
    async fn page(&self, offset: i64) -> Result<Page<User>>;

    #[sql("SELECT <<count>> FROM <<table>>")]
    async fn count(&self) -> Result<i64>;

    #[sql("INSERT INTO <<table>> (<<columns --exclude tags>>) <<unnest --exclude tags>>")]
    async fn insert_many(&self, users: &[User]) -> Result<u64>;

    /// Operators and literals that contain `@`, `<<`, `$1` or `{{` are plain SQL.
    #[sql(r#"SELECT <<columns>> FROM <<table>>
             WHERE tags @> @tags AND tags <@ ARRAY['a@b', $$ $1 @x <<no>> $$]
               AND to_tsvector(phone) @@ 'x' AND (flags << 2) > 0 AND flags::text <> '{{no}}'
               AND "odd@name" IS NULL -- @nothing <<here>>
               /* nor $2 /* nested */ here */ AND phone = E'\'@x'"#)]
    async fn tricky(&self, tags: &[String]) -> Result<Vec<User>>;

    /// One argument bound twice gets one parameter.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE phone = @phone OR phone = '+' || @phone")]
    async fn twice(&self, phone: &str) -> Result<Vec<User>>;

    /// `_`-prefixed arguments may go unused.
    #[sql("SELECT <<columns>> FROM <<table>>")]
    async fn all(&self, _hint: &str) -> Result<Vec<User>>;

    /// A named entity argument when there are several.
    #[sql("UPDATE <<table>> SET <<set:new>> WHERE id = @old.id")]
    async fn replace(&self, old: &User, new: &User) -> Result<u64>;
}

fn main() {}
