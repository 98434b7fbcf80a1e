use repo_runtime::{Entity, SqlEnum};

/// Stored as its discriminants.
#[derive(Debug, SqlEnum)]
pub enum Level {
    Low = 1,
    High = 2,
}

/// Stored as its variant names.
#[derive(Debug, SqlEnum)]
#[sql_enum(text)]
pub enum Mood {
    Happy,
    Sad,
}

#[derive(Entity)]
#[entity(table = "users", schema = "../migrations")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    // An integer enum in a text column, and in an ENUM column.
    pub phone: Level,
    pub feeling: Option<Level>,
    // A text enum in an integer column.
    pub age: Mood,
}

fn main() {}
