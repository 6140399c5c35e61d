//! The population registry's own data: the code lists villages use ([`codes`]) and a
//! resident as a population file states them ([`record`]).

pub mod codes;
pub mod record;

pub use codes::{CodeList, LifeStatus};
pub use record::{FamilyAddress, PersonRecord};
