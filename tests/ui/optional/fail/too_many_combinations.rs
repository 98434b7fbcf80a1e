use repo_runtime::{Entity, Result, repository_for};

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
    #[sql("SELECT <<columns>> FROM <<table>> WHERE true <<if some(a)>>AND id = @a<</if>> <<if some(b)>>AND id = @b<</if>> <<if some(c)>>AND id = @c<</if>> <<if some(d)>>AND id = @d<</if>> <<if some(e)>>AND id = @e<</if>>")]
    async fn find(&self, a: Option<i64>, b: Option<i64>, c: Option<i64>, d: Option<i64>, e: Option<i64>) -> Result<Vec<User>>;
}

fn main() {}
