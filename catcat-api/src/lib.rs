//! CatCat: a door-to-door cat-sitting service on generated repositories.
//!
//! `startup` builds the application; `http` is the API (one router per resource), translating
//! requests into the workflows of `app`; `worker` runs the queue consumer on the same workflows; `domain`
//! holds the rules with no I/O; `repos` every query, as `#[repository_for]` traits; `infra`
//! what the service talks to.

pub mod app;
pub mod config;
pub mod domain;
pub mod http;
pub mod infra;
pub mod migrate;
pub mod net;
pub mod repos;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod telemetry_metrics;
pub mod worker;
