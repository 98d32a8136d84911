//! Content identity: streamed BLAKE3 of a whole file, re-checked against the file after hashing.
