// The entity the `typed` cases build repositories for.

#[derive(Debug, repo_runtime::Entity)]
#[entity(table = "loans", schema = "../schema/migrations")]
pub struct Loan {
    #[entity(key)]
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub pages: Option<i32>,
    pub lent_at: repo_runtime::types::chrono::DateTime<repo_runtime::types::chrono::Utc>,
    pub returned_at: Option<repo_runtime::types::chrono::DateTime<repo_runtime::types::chrono::Utc>>,
}
