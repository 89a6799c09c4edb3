// Imaging module (see DESIGN.md).
