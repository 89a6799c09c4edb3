// Executor module (see DESIGN.md).
