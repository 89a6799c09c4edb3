// Pipelines module (see DESIGN.md).
