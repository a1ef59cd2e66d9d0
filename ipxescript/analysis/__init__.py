"""Analysis: what the syntax tree means (option binding, values, labels, menus, flow)."""
