//! Rules of the business, with no I/O: enums, validation, and the order and progress state
//! machines.

pub mod enums;
pub mod order;
pub mod payment;
pub mod validate;

pub use enums::*;
