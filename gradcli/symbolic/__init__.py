"""Derivatives and numeric code for scalar expressions: SymPy/SymEngine in, counted callables out."""
