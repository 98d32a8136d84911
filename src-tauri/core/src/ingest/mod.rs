//! Ingest: full scan, the download-safety gate, filesystem watching and reconcile into the catalog.
