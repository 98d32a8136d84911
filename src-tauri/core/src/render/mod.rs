//! Render requests: Luma request bodies, the provider client, and the submit/poll outbox.

pub mod body;
pub mod key;
pub mod luma;
pub mod outbox;
