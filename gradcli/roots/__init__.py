"""Roots of one equation and of systems (`gradcli root`): exact derivatives, our counts, our verdicts."""
