//! Takeboard desktop shell (placeholder until the shell lands).
fn main() {}
