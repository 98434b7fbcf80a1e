//! CatCat: door-to-door cat sitting on generated repositories.

pub mod domain;
pub mod repos;
