//! Integration tests of takeboard-core: one binary, one module per area.

mod hash;
mod probe;
mod support;
