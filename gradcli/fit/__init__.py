"""`gradcli fit`: curve fitting and least squares from data columns, with uncertainties and a verdict."""
