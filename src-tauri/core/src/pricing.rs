//! Credit arithmetic: the pricing table (project data) and estimates per take, request, shot and project.
