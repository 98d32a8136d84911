//! Integration tests of takeboard-cli: runs the real binary on temp folders.
