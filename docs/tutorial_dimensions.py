"""Tutorial: dimensions, defects, fibers and strata of neuromanifolds.

Run: python docs/tutorial_dimensions.py
"""

import numpy as np

import neuromanifold as nm

# 1. Linear networks: the neuromanifold is the variety of matrices of rank <= min widths.
net = nm.LinearNetwork((4, 2, 3))
theta = net.random_params(seed=1)
W1 = theta[:8].reshape(2, 4)
W2 = theta[8:].reshape(3, 2)
assert np.allclose(net.mu(theta), (W2 @ W1).ravel())  # mu is the product matrix, row-major
report = nm.dimension(net)
print("linear (4, 2, 3):", report.dim, "= r (d0 + dL - r) =", 2 * (4 + 3 - 2))

# 2. A defective polynomial network: sums of two squares of linear forms in three variables
# form a hypersurface (dimension 5) in the 6-dimensional space of quadrics, although
# parameters minus rescalings predicts 6.
net = nm.PolynomialNetwork((3, 2, 1), activation=2)
print(nm.dimension(net))

# 3. Jacobians in batches, real or complex.
thetas = net.random_params(1000, seed=0)
J = net.jacobian(thetas)  # (1000, 6, 8)
print("Jacobian batch:", J.shape, "ranks:", set(np.linalg.matrix_rank(J).tolist()))

# 4. Subnetworks: switching off a hidden neuron gives rank-one quadrics, a stratum of
# dimension 3 where the Jacobian rank drops.
for s in net.subnetworks():
    theta_sub = s.network.random_params(seed=2)
    print(s.description, "->", s.network.spec, "stratum dim", s.dim,
          "Jacobian rank there", net.jacobian_rank(s.embed(theta_sub)))

# 5. Real versus complex: linear convolutions with two filters of even width have full
# dimension, yet a real end-to-end filter without real roots is not a product of real filters.
conv = nm.ConvNetwork((2, 2))
print("conv (2, 2): dim", nm.dimension(conv).dim, "of", conv.ambient_dim,
      "; real filling:", nm.dimension(conv).filling,
      "; 1 + z^2 in it:", conv.contains([1.0, 0.0, 1.0]))

# 6. ReLU networks through data: the functional dimension of a (1, h, 1) network is 2h + 1.
X = np.linspace(-5, 5, 200).reshape(1, -1)
print("ReLU (1, 3, 1) functional dimension:", nm.functional_dimension(nm.ReLUNetwork((1, 3, 1)), X))
