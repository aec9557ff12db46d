//! The SCIM 2.0 Interoperability Profile (draft-zollner-scim-interop-profile-01) as a
//! profile: its catalogue of `I-…` rows ([`catalogue`]), the levels it lays over the RFC's
//! and the requests it keeps scimitar from sending ([`overlay`]), and what a run under it
//! makes of a server that does or does not claim `interopProfileConformant`
//! ([`readiness`]), and where an identity provider's replay clashes with it ([`clash`]).

pub mod catalogue;
pub mod clash;
pub mod overlay;
pub mod readiness;
