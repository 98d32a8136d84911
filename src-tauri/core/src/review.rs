//! Review decisions: statuses, approval → exactly one render request, finals, trims, notes, shot state.
