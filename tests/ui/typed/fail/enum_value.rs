//! A string that names no value of the ENUM it stands for: PostgreSQL refuses it when the
//! statement runs ("invalid input value for enum"); the build says so first, with the values.

include!("../entity.rs");

use repo_runtime::{Result, repository_for};

#[repository_for(Loan)]
pub trait Moods {
    #[sql("SELECT id FROM users WHERE feeling = 'hapy'")]
    async fn happy(&self) -> Result<Vec<i64>>;

    #[sql("UPDATE users SET feeling = 'glad' WHERE id = @id")]
    async fn cheer(&self, id: i64) -> Result<u64>;

    #[sql("SELECT id FROM users WHERE feeling IN ('happy', 'sad') OR feeling::text = 'glad'")]
    async fn any(&self) -> Result<Vec<i64>>;
}

fn main() {}
