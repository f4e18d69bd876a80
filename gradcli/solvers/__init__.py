"""Solvers: one algorithm per entry, each returning a Result and never printing."""
