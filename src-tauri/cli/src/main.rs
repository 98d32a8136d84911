//! `takeboard-cli`: the command-line client of takeboard-core.
fn main() {}
