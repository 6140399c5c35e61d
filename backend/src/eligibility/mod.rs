//! Program definitions and the eligibility engine that guards every way into a program.

pub mod catalogue;
pub mod engine;
#[cfg(test)]
mod tests;

pub use catalogue::{Catalogue, CatalogueError, DesilRange, Scope, Unit};
pub use engine::{
    Decision, FamilyFacts, Held, Holder, Member, Quota, Reason, ReasonCode, Request, Subject,
    decide,
};
