//! The population registry's own data: the code lists villages use ([`codes`]), a resident
//! as a population file states them ([`record`]), the readers of those files ([`read`]) and
//! a synthetic file of any size for tests and benchmarks ([`generate`]).

pub mod codes;
pub mod generate;
pub mod read;
pub mod record;

pub use codes::{CodeList, LifeStatus};
pub use record::{FamilyAddress, PersonRecord};
