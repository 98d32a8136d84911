//! Integration tests of takeboard-cli: the real binary on temp folders of real clips,
//! checking the JSON contract on stdout and the errors on stderr.

mod bad_input;
mod catalog;
mod export;
mod support;
