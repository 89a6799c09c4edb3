// EnergyModel module (see DESIGN.md).
