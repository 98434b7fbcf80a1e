//! Optional clauses with `some` and `any`, a condition that binds nothing, and the alias.

use repo_runtime::{Entity, Page, Result, repository_for};

#[derive(Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
}

#[repository_for(User)]
pub trait Users {
    #[sql("SELECT <<columns>> FROM <<table>> WHERE true <<if some(phone)>>AND phone = @phone<</if>> {{if any(ids)}}AND id = ANY(@ids){{/if}} <<if some(with_email)>>AND email IS NOT NULL<</if>>")]
    async fn find(&self, phone: Option<&str>, ids: &[i64], with_email: Option<bool>) -> Result<Vec<User>>;

    #[sql("SELECT <<columns>>, <<total>> FROM <<table>> <<if some(phone)>>WHERE phone = @phone<</if>> <<orderby:id>> <<paginate>>")]
    async fn page(&self, phone: Option<String>, limit: i64, offset: i64) -> Result<Page<User>>;
}

fn main() {}
