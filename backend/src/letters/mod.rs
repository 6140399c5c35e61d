//! Letters from request to paper: the catalogue of letter types (data, `letters.toml`), the
//! rules that decide whether a request is issued at once or waits for the desa staff, the
//! per-desa numbering, the rendering of a type's templates into the
//! [`LetterDocument`](protocol::letter::LetterDocument) both printers draw, the seal, and
//! the A4 PDF of an issued letter (`pdf`).
//!
//! Storage (counters, issued letters, the desas' keys) is in `store::letters`; the HTTP
//! side in `http::letters` and `http::letter_queue`.

pub mod catalogue;
pub mod facts;
pub mod masked;
pub mod number;
pub mod pdf;
pub mod render;
pub mod rules;
pub mod samples;
pub mod workflow;

pub use catalogue::{LetterCatalogue, LetterCatalogueError, LetterDef};
pub use number::NumberFormat;
pub use render::{Desa, LetterFacts, Member, Person, Signer};
pub use rules::{Decision, Standing, decide};
