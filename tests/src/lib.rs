//! Shared fixtures for the generator's tests: a fresh PostgreSQL database per test, and the
//! entities and repositories the integration tests exercise.

pub mod db;
pub mod model;
