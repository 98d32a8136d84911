//! Integration tests of takeboard-core: one binary, one module per area.

mod luma;
mod support;
