"""Array problems: data, vector variables and whole-array expressions (issue 9).

The pipeline mirrors the scalar one but never expands to one symbol per weight:

    text --parse.py--> typed IR (ir.py: nodes with shapes, hash-consed, stability rewrites, constant folding)
         --grad.py--> reverse-mode gradient as more IR (vector-Jacobian rules per op)
         --evaluate.py--> one flat NumPy function for f and one for ∇f, sharing the forward pass
         --objective.py--> the counted Objective interface every solver uses;
         --jvp.py--> exact Hessian-vector products (forward mode over the gradient graph)

``shapes.py`` checks shapes and subscripts (up to 4-D), ``constraints.py`` turns bounds and relations into
the solvers' form, ``data.py`` loads arrays (files, generators, grayscale PNGs via ``images.py``),
``problem.py`` builds the ArrayProblem from a file's document, ``verdict.py`` judges a result (KKT, curvature).
"""
