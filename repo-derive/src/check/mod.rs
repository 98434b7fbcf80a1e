//! Checks of expanded statements and of entities against the project's migrations, all at
//! compile time and without a database.

pub(crate) mod entity;
pub(crate) mod infer;
pub(crate) mod schema;
pub(crate) mod syntax;
