//! An entity that matches the migrations after every ALTER TABLE.

use repo_runtime::types::chrono::{DateTime, Utc};
use repo_runtime::{Entity, Json, SqlEnum};

#[derive(Debug, SqlEnum)]
#[sql_enum(text)]
pub enum Mood {
    Happy,
    Sad,
}

#[derive(Debug, serde::Deserialize)]
pub struct Profile {
    pub bio: String,
}

#[derive(Debug, Entity)]
#[entity(table = "users", schema = "../migrations")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    #[entity(rename = "mail")]
    pub email: Option<String>,
    pub age: i32,
    pub feeling: Mood,
    pub tags: Vec<String>,
    pub profile: Option<Json<Profile>>,
    pub created_at: DateTime<Utc>,
    #[entity(skip)]
    pub not_stored: u8,
}

/// Not checked at all.
#[derive(Debug, Entity)]
#[entity(table = "elsewhere", schema = false)]
pub struct Elsewhere {
    #[entity(key)]
    pub id: i64,
}

fn main() {}
