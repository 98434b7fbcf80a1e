//! End-to-end tests over HTTP against the real PostgreSQL and Redis, each test with its own
//! database and key space.

#![allow(clippy::unwrap_used)]

mod admin;
mod auth;
mod cluster;
mod contract;
mod contract_fuzz;
mod degraded;
mod described;
mod fixtures;
mod idempotency;
mod ids;
mod jwt;
mod limits;
mod manifests;
mod orders;
mod payments;
mod pets;
mod platform;
mod queue;
mod sessions;
mod stripe;
mod stripe_stand_in;
mod support;
mod workflows;
