"""Tutorial: Voronoi cells of singular points and strata, estimated and proven.

Run: python docs/tutorial_voronoi.py
"""

import numpy as np

import neuromanifold as nm

# 1. The cusp y^2 = x^3 is the nearest point of the curve for a positive share of the plane;
# the node y^2 = x^2 (x + 1) is not: its two smooth real branches pass it from both sides.
box = nm.UniformBox(-1, 1)
cusp = nm.voronoi_mc(nm.PlaneCurve("y**2 - x**3"), "singular", 200_000, box, progress=False)
node = nm.voronoi_mc(nm.PlaneCurve("y**2 - x**2*(x + 1)"), "singular", 200_000, box, progress=False)
print(cusp)
print(node)
assert cusp.ci95[0] > 0 and node.hits == 0
(bound,) = nm.voronoi_cell_bounds(nm.PlaneCurve("y**2 - x**2*(x + 1)"))
print(bound)  # the Morse lemma: a null cell

# 2. A subnetwork of a network with one hidden layer: switching the neuron back on moves its
# points both ways, in directions spanning every quadratic form, so no data have their nearest
# point there except the stratum's own points. That is a proof, and voronoi_mc returns it.
net = nm.PolynomialNetwork((3, 2, 1), activation=2)
for b in nm.voronoi_cell_bounds(net):
    print(b)
proof = nm.voronoi_mc(net, "singular", 10**9, progress=False)
assert proof.method == "certificate" and proof.ci95 == (0.0, 0.0)
# ... and the exhaustive estimator, which samples, agrees
sampled = nm.voronoi_mc(net, "singular", 40, progress=False, method="exhaustive")
print(sampled)
assert sampled.hits == 0
# Two hidden layers: the inputs of a switched-off neuron depend on the point, yet some directions
# exist at every point (an off neuron of layer 2 fed by an off one of layer 1 reaches everything),
# and for pairs of binary quartics of (2, 2, 2) they exceed every stratum's dimension.
deep = nm.parse("poly:2,2,2,2^2")
assert all(b.everywhere for b in nm.voronoi_cell_bounds(deep))
print(nm.voronoi_mc(deep, "singular", 10**9, progress=False))
# One output: every real binary quartic is a1 q1^2 + a2 q2^2 with q1, q2 in the span of two real
# squares (the fixed points of an involution swapping its roots in pairs), so M fills the space
# and its strata and edge are null.
print(nm.dimension(nm.parse("poly:2,2,2,1^2")).filling, nm.voronoi_mc(nm.parse("poly:2,2,2,1^2"), "boundary", 10**9, progress=False))

# 3. The edge of a semi-algebraic neuromanifold does attract data. Binary cubics
# c1 (w1.x)^3 + c2 (w2.x)^3 fill the space over C, but over R they miss the cubics with three
# real roots; those data have their nearest point on the edge (a double root).
cubics = nm.parse("poly:2,2,1^3")
edge = nm.voronoi_mc(cubics, "boundary", 4000, seed=1, progress=False)
print(edge)
U = nm.Gaussian().draw(np.random.default_rng(0), 100_000, 4)
a, b, c, d = U.T  # coefficients of x^3, x^2 y, x y^2, y^3
three_real_roots = b * b * c * c - 4 * a * c**3 - 4 * b**3 * d - 27 * a * a * d * d + 18 * a * b * c * d > 0
print("share of Gaussian cubics with three real roots:", three_real_roots.mean())
assert edge.ci95[0] < three_real_roots.mean() < edge.ci95[1]
# A hidden layer of one neuron cubes those cubics: f = c g^3. The limits of the two neurons
# merging (g with a double root) are still no network, and about a fifth of the data have their
# nearest point there, decided from all critical points. With biases and z^2, one first-layer
# neuron before one more layer gives the quartics symmetric about an axis, whose limit (the axis
# at infinity) attracts no data: a proof, and no samples.
cubed = nm.voronoi_mc(nm.parse("poly:2,2,1,1^3"), "boundary", 200, seed=1, progress=False)
print(cubed)
assert cubed.exhaustive and cubed.ci95[0] > 0.1
print(nm.voronoi_mc(nm.parse("poly:1,1,1,1^2+bias"), "boundary", 10**9, progress=False))
# Two layers of squares on two inputs with two outputs: poly:2,2,2,2^2 is the smallest deeper
# MLP that does not fill, and about two fifths of the data have their nearest point on the limits
# of neurons merging in either layer. With a third layer-2 neuron the outputs are any quadratic
# forms in l1^2, l2^2: only the first layer's limits are left (about a tenth of the data), and
# the subnetwork of two layer-2 neurons, of the dimension of M, holds the nearest point of more
# than half of them (where the outputs' plane of forms holds a definite one).
wide = nm.parse("poly:2,2,3,2^2")
deep = nm.voronoi_mc(wide, "boundary", 100, seed=1, progress=False)
part = nm.voronoi_mc(wide, "hidden layer 2 with one neuron switched off", 100, seed=1, progress=False)
print(deep, part, sep="\n")
assert deep.exhaustive and part.exhaustive and 0 < deep.hits < part.hits < part.n
# With more neurons the real rank decides: three neurons reach every binary quartic but those
# with four real roots (real rank 4), four reach them all; sextics of four neurons are in M when
# their pencil of apolar quartics holds one with four real roots. Roots, not homotopies: fast.
for spec in ("poly:2,3,1^4", "poly:2,4,1^4", "poly:2,4,1^6"):
    est = nm.voronoi_mc(nm.parse(spec), "boundary", 200_000, seed=1, progress=False)
    print(spec, nm.dimension(nm.parse(spec)).filling, est)
    assert est.exhaustive and (est.hits == 0) == (spec == "poly:2,4,1^4")
# Several outputs: k neurons on binary forms of degree k put every output in one hyperplane
# spanned by real k-th powers, the one whose normal form has k real roots. The nearest
# hyperplane is the smallest eigenvector of sum u_i u_i^T, so the edge is hit when that form has
# a non-real root. For squares the eigenvector of Gaussian data is uniform on the sphere: the
# share is P(y3^2 > 2 y1^2 + y2^2) whatever the number of outputs.
y = nm.Gaussian().draw(np.random.default_rng(1), 1_000_000, 3)
cone = (y[:, 2] ** 2 > 2 * y[:, 0] ** 2 + y[:, 1] ** 2).mean()
for spec in ("poly:2,2,3^2", "poly:2,2,5^2"):
    est = nm.voronoi_mc(nm.parse(spec), "boundary", 100_000, seed=1, progress=False)
    print(spec, est, "cone:", cone)
    assert est.exhaustive and est.ci95[0] < cone < est.ci95[1]
# Pencils of quadratic forms (z^2, d0 neurons, two outputs) are in M when their eigenvalues are
# real; d0 + 1 neurons reach every pencil (one rank-one neuron makes the eigenvalues real, then
# one congruence).
pencils = nm.parse("poly:3,3,2^2")
print(nm.voronoi_mc(pencils, "boundary", 100_000, seed=1, progress=False))
print(nm.voronoi_mc(nm.parse("poly:4,5,2^2"), "boundary", 1000, progress=False))  # certified: M fills
# With biases the output biases shift the constant terms of the pencil in (x, 1); d0 + 1 neurons
# reach it when some shift makes its eigenvalues real. On three inputs not every pencil has one:
# the tangents' cofactors decide it, and contains() builds the neurons where it does.
shifted = nm.parse("poly:3,4,2^2+bias")
print(nm.dimension(shifted).filling, nm.voronoi_mc(shifted, "boundary", 20_000, seed=1, progress=False))
# Fourth powers of 14 neurons on three inputs with 14 outputs: the outputs span a hyperplane of
# quartics, spanned by real powers exactly when its normal form is indefinite, read off all its
# critical points on the sphere (a parameter homotopy per sample).
even = nm.parse("poly:3,14,14^4")
print(nm.dimension(even).filling, nm.voronoi_mc(even, "boundary", 2000, seed=1, progress=False))
# Ternary cubics are sums of four real cubes (apolarity), so four neurons fill that space, and
# contains() builds the cubes. With biases, polynomials in one variable are decided by their
# derivative: a quartic of two neurons is outside M exactly when f' has three real roots.
cubics = nm.parse("poly:3,4,1^3")
print(cubics.contains(np.random.default_rng(0).standard_normal(10)), nm.voronoi_mc(cubics, "boundary", 1000, progress=False))
quartics = nm.parse("poly:1,2,1^4+bias")
U = np.random.default_rng(3).standard_normal((5000, 5))  # coefficients of 1, x, ..., x^4
derivative_real = np.array([np.isreal(np.roots((u[1:] * np.arange(1, 5))[::-1])).all() for u in U])
outside = np.array([not quartics.contains(u) for u in U])
print("quartics outside M:", outside.mean(), "with three real critical points:", derivative_real.mean())
assert np.array_equal(outside, derivative_real)
# Lightning attention with one token is x -> (V x) S(x), S = sym(K^T Q). Two key/query
# dimensions give every S with at most two eigenvalues of each sign: on three inputs every S but
# the definite ones. Its edge, S semidefinite of rank 2 (K = Q), holds the nearest point of about
# a fifth of the data; with three dimensions every S is reached, and the part of two holds the
# nearest point of about four fifths. On four inputs three dimensions leave out the definite S
# in the same way (method="exhaustive": X has 6532 critical points, about two minutes to find).
one_token = nm.voronoi_mc(nm.parse("attention:3,1,2,1"), "boundary", 200, seed=1, progress=False)
two_of_three = nm.voronoi_mc(nm.parse("attention:3,1,3,1"), "one dimension of the key/query space switched off", 200, seed=1, progress=False)
print(one_token, two_of_three, sep="\n")
assert one_token.exhaustive and two_of_three.exhaustive

# 4. A ReLU network is seen through its values at input points. With one hidden layer and one
# output its image is a finite union of polyhedral cones, so nearest points are exact: here the
# edges (affine functions, a spike at an extreme point) against the closed form of one neuron,
# x -> c + a relu(w x + b) at five points (an edge is nearest when the best affine or spike fit
# beats every fit with a kink among the points).
x = np.array([-1.3, -0.4, 0.2, 0.9, 1.7])
relu = nm.NeuromanifoldAt(nm.parse("relu:1,1,1"), x[None, :])
edges = nm.voronoi_mc(relu, "boundary", 20_000, seed=2, progress=False)
print(edges)
assert edges.exhaustive and edges.ci95[0] > 0  # (a sample is undecided where two faces tie)
# local searches are not exhaustive, and say so
print(nm.voronoi_mc(relu, "boundary", 200, seed=2, progress=False, method="multistart"))
