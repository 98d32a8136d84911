//! Identification of a clip: Luma sidecar, file-name conventions, and which names are never indexed.
