/*!
The wire contract between the Anjungan kiosk and the central service.

It owns what both sides must agree on and nothing else: the [`Nik`] and [`NoKk`] number
types with their validation against the official region list ([`region`]), the API's request
and response bodies ([`api`]), bilingual [`Text`], and masking of personal data ([`mask`]).
It depends on no other crate of the project.

```
let nik = protocol::Nik::parse("3510015203050002").unwrap();
assert_eq!(nik.sex(), protocol::Sex::Female);
assert_eq!(nik.masked(), "3510********0002");
```
*/

pub mod api;
pub mod auth;
pub mod fleet;
pub mod idempotency;
pub mod lang;
pub mod letter;
pub mod mask;
pub mod nik;
pub mod phone;
pub mod region;
pub mod registry;
pub mod signed;
pub mod staff;
pub mod ticket;

pub use idempotency::IdempotencyKey;
pub use lang::{Lang, Text};
pub use nik::{Nik, NikDate, NikError, NoKk, Sex};
