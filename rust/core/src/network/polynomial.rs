//! Polynomial-activation MLPs x -> W_L s(... s(W_1 x + b_1) ...) + b_L.

use std::collections::BTreeSet;
use std::fmt;

use super::linear::determinantal_dim;
use super::{
    activation_degrees, build_dense, check_coefficients, check_widths, dense_subnetworks, join, Activation, Family,
    Subnetwork,
};
use crate::error::Result;
use crate::poly::{count_monomials, Poly, PolyBuilder};
use crate::rank::numerical_rank;

#[derive(Clone, Debug, PartialEq)]
pub struct PolynomialNetwork {
    widths: Vec<usize>,
    activation: Activation,
    bias: bool,
}

impl PolynomialNetwork {
    pub fn new(widths: &[usize], activation: Activation, bias: bool) -> Result<Self> {
        check_widths(widths, "a polynomial network", 2)?;
        Ok(PolynomialNetwork { widths: widths.to_vec(), activation, bias })
    }
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }
    pub fn activation(&self) -> &Activation {
        &self.activation
    }
    pub fn bias(&self) -> bool {
        self.bias
    }
    fn hidden(&self) -> usize {
        self.widths[1..self.widths.len() - 1].iter().sum()
    }
    /// sigma(z) = c z: the network is linear (affine with biases).
    fn is_linear(&self) -> bool {
        self.activation.monomial_degree() == Some(1) || self.widths.len() == 2
    }
    /// With the activation z^k, do the first `layers` hidden layers each have as many neurons (and
    /// the constant, with biases) as the monomials of their powers' degree k^l, in the d0 inputs
    /// (and 1)? Then the next layer's inputs can be any real tuple of forms (``real_filling``).
    fn reaches_every_tuple(&self, layers: usize, k: usize) -> bool {
        let d = self.widths[0] + usize::from(self.bias);
        (1..=layers).all(|l| {
            let degree = (k as f64).powi(l as i32);
            degree < 64.0 && (self.widths[l] + usize::from(self.bias)) as f64 >= count_monomials(d, degree as usize)
        })
    }
}

impl Family for PolynomialNetwork {
    fn n_params(&self) -> usize {
        self.widths.windows(2).map(|w| w[0] * w[1] + if self.bias { w[1] } else { 0 }).sum()
    }
    fn n_inputs(&self) -> usize {
        self.widths[0]
    }
    fn n_outputs(&self) -> usize {
        *self.widths.last().unwrap()
    }
    fn check_size(&self) -> Result<()> {
        let mut degrees: BTreeSet<usize> = [1].into();
        let layers = self.widths.len() - 1;
        for l in 0..layers {
            if self.bias {
                degrees.insert(0);
            }
            check_coefficients(self.widths[l + 1], self.widths[0], &degrees, &format!("layer {}", l + 1))?;
            if l + 1 < layers {
                degrees = activation_degrees(&degrees, &self.activation)?;
                check_coefficients(self.widths[l + 1], self.widths[0], &degrees, &format!("activation {}", l + 1))?;
            }
        }
        Ok(())
    }
    fn build(&self, pb: &mut PolyBuilder) -> Result<Vec<Poly>> {
        build_dense(pb, &self.widths, self.bias, Some(&self.activation), false)
    }
    fn symmetry_dim(&self) -> usize {
        let (d0, dl) = (self.widths[0], *self.widths.last().unwrap());
        let r = *self.widths.iter().min().unwrap();
        if self.is_linear() {
            // linear (affine) maps of rank <= r, plus a free output bias
            let image = determinantal_dim(dl, d0, r) + if self.bias { dl } else { 0 };
            return self.n_params().saturating_sub(image);
        }
        match self.activation.monomial_degree() {
            // each hidden neuron can be rescaled: t in, t^-r out
            Some(_) => self.hidden(),
            None => 0,
        }
    }
    fn symmetries(&self) -> Vec<String> {
        let mut s = Vec::new();
        if self.is_linear() {
            s.push("GL between layers (the network is linear)".into());
            return s;
        }
        if let Some(r) = self.activation.monomial_degree() {
            s.push(format!(
                "rescaling of each hidden neuron: its weights{} times t, its outgoing weights times t^-{r}",
                if self.bias { " and bias" } else { "" }
            ));
        }
        s.push("permutations of the neurons of each hidden layer (finite)".into());
        s
    }
    fn subnetworks(&self) -> Vec<Subnetwork> {
        dense_subnetworks(&self.widths, self.bias, |w| {
            let sub = PolynomialNetwork { widths: w, activation: self.activation.clone(), bias: self.bias };
            (String::new(), sub.into())
        })
    }
    fn real_filling(&self) -> Option<bool> {
        if self.is_linear() && !self.bias {
            let (d0, dl) = (self.widths[0], *self.widths.last().unwrap());
            return Some(*self.widths.iter().min().unwrap() == d0.min(dl));
        }
        // Hidden layer l with c z^k takes the k-th powers of forms of degree k^(l-1) in (x, 1) with
        // biases (in x without). When its inputs are any tuple of such forms, their powers span the
        // forms of degree k^l as soon as there are as many neurons as monomials (one fewer with
        // biases: the layer's constant is the power of the constant form, and generic powers with it
        // are as independent as generic powers alone), so the next layer's inputs are any tuple
        // again: every hidden layer that wide reaches every real tuple of outputs.
        if let Some(k) = self.activation.monomial_degree() {
            if self.widths.len() >= 3 && self.reaches_every_tuple(self.widths.len() - 2, k) {
                return Some(true);
            }
        }
        // Two or more hidden layers with c z^2 and one output: f = sum_j a_j p_j^2 + c, the p_j any
        // forms of degree n when the layers before reach every tuple. A real symmetric Gram matrix
        // of f (f = m^T G m, m the monomials of degree n) is a sum of rank(G) signed squares, so as
        // many neurons as those monomials reach every f. Fewer do in two cases. Binary forms: a real
        // one of degree 2n is f1 f2 with f1, f2 real of degree n (split its roots into two sets
        // closed under conjugation), and f1 f2 = ((f1 + f2)^2 - (f1 - f2)^2) / 4: two neurons.
        // Ternary quartics: a smooth one has 63 Gram matrices of rank 3 over C (Powers, Reznick,
        // Scheiderer and Sottile), an odd number, so a real one: three neurons.
        if let (Some(2), [d0, .., last, 1]) = (self.activation.monomial_degree(), self.widths.as_slice()) {
            let layers = self.widths.len();
            let d = d0 + usize::from(self.bias);
            if layers >= 4 && self.reaches_every_tuple(layers - 3, 2) {
                let n = 1usize << (layers - 3);
                if *last as f64 >= count_monomials(d, n) || (d == 2 && *last >= 2) || (d == 3 && n == 2 && *last >= 3) {
                    return Some(true);
                }
            }
            // Two hidden layers on binary quartics with two neurons in the first: the p_j lie in
            // span(u^2, v^2) for two real linear forms, and f is in M when it is even in v after a
            // real change of coordinates, f = a u^4 + b u^2 v^2 + c v^4 (a real binary quadratic form
            // in (u^2, v^2), diagonalized by two neurons). A quartic with distinct roots is invariant
            // under the three involutions of P^1 that swap its roots in pairs; one of them is real
            // with two real fixed points (u, v) for every real quartic: with four real roots the two
            // whose pairs do not interlace; with two the one swapping them and the conjugate pair
            // (with the real roots at +-1 it is x -> (a x + b) / (-b x - a), b / a = -2 Re z /
            // (|z|^2 + 1) of modulus < 1, so its fixed points b x^2 + 2 a x + b are real); with none
            // the one swapping each root with its conjugate (it exchanges the half planes, so it
            // reverses the orientation of the real line). So M holds every quartic off the
            // discriminant (``tests/test_deep_filling.py`` builds the networks).
            if layers == 4 && d == 2 && self.widths[1] >= 2 && *last >= 2 {
                return Some(true);
            }
            // Ternary quartics with three second-layer neurons and four first-layer ones: the q_j of
            // a real Gram matrix of rank 3 span a net N of quadrics, and the squares need only span
            // a space P containing N. Without biases P is cut out by a pencil of dual conics in the
            // net orthogonal to N with four real base points, which almost every real net holds (a
            // line through a real flex of its discriminant cubic, as for ternary cubics); their
            // squares span P. With biases P also holds the constant's square z^2: a hyperplane
            // whose normal is orthogonal to N and z^2, from a space of normals of dimension >= 2,
            // which holds an indefinite one (a pencil of symmetric matrices changes sign unless
            // its members are proportional), whose real zeros (z among them) give squares spanning
            // P (``tests/test_deep_filling.py`` builds the networks).
            if layers == 4 && d == 3 && self.widths[1] >= 4 && *last >= 3 {
                return Some(true);
            }
        }
        // One hidden layer with c z^2: with biases, (w.x + b)^2 is the square of a linear form in
        // (x, 1), so the outputs are quadratic forms in d = d0 + 1 variables (the output biases
        // add to their constant terms); without, in d = d0.
        if let ([d0, h, outputs @ 1..=4], Some(2)) = (self.widths.as_slice(), self.activation.monomial_degree()) {
            let d = d0 + usize::from(self.bias);
            // one output: a real symmetric matrix of rank <= h is a sum of h signed squares, and
            // with biases the constant term makes the rank of S - c E_00 drop to d0 for one real c
            // (det is affine in c, with the slope of a principal minor, nonzero for almost all S)
            if *outputs == 1 && *h >= *d0 {
                return Some(true);
            }
            // two outputs: a pencil with a nonsingular member C, of inertia (p, q) with q <= d / 2
            // (else -C). q neurons along C's negative eigenvectors make that member definite, and
            // a pencil with a definite member is diagonalized by one congruence (d neurons): so
            // floor(3d / 2) neurons reach every pencil outside the null set of singular ones.
            // d + 1 do too: one neuron (0, a) w w^T turns det(B - mu C) = p into p - a q with
            // q = w^T adj(B - mu C) w, which can be any real polynomial of degree d - 1 vanishing
            // at the real eigenvalues (partial fractions over the eigenvectors); one with d - 1
            // distinct real roots leaves d distinct real eigenvalues for a large |a|, and a
            // congruence the rest (``_voronoi_pencils`` builds them).
            if *outputs == 2 && (*h >= 3 * d / 2 || *h > d) {
                return Some(true);
            }
            // d0 >= 2 neurons without biases: W^T (D1, D2) W has real eigenvalues, and the pencils
            // with a non-real pair are an open set (``_voronoi_pencils``)
            if *outputs == 2 && !self.bias && *h == *d0 && *d0 >= 2 {
                return Some(false);
            }
            // Quadratic forms in three variables: the outputs lie in the span of the neurons'
            // squares (and the constant's) exactly when the conics orthogonal to them hold the
            // conics through the neurons' points (and the constant's). Three outputs, four neurons:
            // that is a pencil with four real base points inside a net of conics, which almost
            // every net holds (a line through a real flex of its discriminant cubic,
            // ``_conic_pencils``). Four outputs, or three with biases and three neurons: the
            // orthogonal pencil itself, whose base points are non-real on an open set.
            if !self.bias && *d0 == 3 && *h >= 4 && *outputs == 3 {
                return Some(true);
            }
            if !self.bias && *d0 == 3 && *h == 4 && *outputs == 4 {
                return Some(false);
            }
            if self.bias && *d0 == 2 && *h == 3 && *outputs == 3 {
                return Some(false);
            }
            // two outputs with biases and d0 + 1 neurons: the output biases shift the constant
            // terms by (g1, g2), which changes det(c Q1 + s Q2) = P into P - (g1 c + g2 s) R, R the
            // same for the quadratic parts. u is in M when some shift leaves d distinct real
            // eigenvalues, and that happens exactly when some tangent (a shift with a double
            // root at tau) has a cofactor of degree d - 2 with real roots (``_shifted_pencils``).
            // Of degree 0 or 1 on one or two inputs: M fills. A quadratic or a cubic on three or
            // four inputs, whose discriminant is negative at every tau on an open set of pencils.
            // On more inputs, the direct sum of such a pencil on three inputs (with the constant)
            // and any pencil on the others has a non-real pair for every shift, also for small
            // perturbations (for large shifts the pair tends to the quadratic parts' non-real
            // one): an open set again.
            if *outputs == 2 && self.bias && *h > *d0 {
                if *d0 <= 2 {
                    return Some(true);
                }
                if *h == d0 + 1 {
                    return Some(false);
                }
            }
        }
        // One hidden layer with c z^k and one neuron fewer than the A1 monomials (two with biases):
        // few outputs lie in a hyperplane n^perp (through the constant's power E with biases:
        // n_E = 0, E is the output bias). It holds the k-th powers of the zeros of the form N_n,
        // and the powers of a Zariski-dense set of them span it (a hypersurface lies on no other
        // form of its degree). Real zeros are dense when N_n has a smooth real zero: always for
        // odd k on three or more variables (N(-v) = -N(v)), with biases at the zero (0 : 1) of
        // N_n, smooth for almost all n (for k = 2 on one input the quadric through it is
        // indefinite). Without biases m <= A1 - 2 outputs leave a pencil of normals, which holds
        // an indefinite member (between two of its eigenvalues for z^2; for even k >= 4 on three
        // or more variables almost every such pencil misses the reducible forms, of codimension
        // >= 2, and an indefinite squarefree form changes sign across smooth real zeros).
        if let ([d0, h, m], Some(k)) = (self.widths.as_slice(), self.activation.monomial_degree()) {
            let monomials = count_monomials(d0 + usize::from(self.bias), k) as usize;
            let fixed = 1 + usize::from(self.bias);
            // outputs fewer than the monomials by at least this many
            let slack = match (self.bias, *d0, k) {
                (true, d0, k) if d0 >= 2 || k == 2 => Some(2),
                (false, d0, k) if d0 >= 3 && k % 2 == 1 => Some(1),
                (false, d0, _) if d0 >= 3 => Some(2),
                (false, _, 2) => Some(2),
                _ => None,
            };
            if let Some(slack) = slack {
                if *h + fixed >= monomials && *m + slack <= monomials {
                    return Some(true);
                }
            }
            // Even powers without biases, one neuron and one output fewer than the monomials (on
            // two inputs the binary forms' rule below): the outputs span a hyperplane n^perp,
            // spanned by real powers exactly when N_n is not definite, and the definite N_n are an
            // open set (``_voronoi_hyperplanes``)
            if !self.bias && *d0 >= 3 && k % 2 == 0 && *h + 1 == monomials && *m + 1 == monomials {
                return Some(false);
            }
        }
        // One hidden layer with c z^3 and one output on ternary cubics (three inputs, or two with
        // biases: cubes of linear forms in (x, 1)): four real cubes reach almost every real ternary
        // cubic. By apolarity, the base points of a pencil of conics annihilating f give its
        // decompositions, and a line through a real flex of the pencils' discriminant cubic, turned
        // slightly off the tangent, meets it in three real line pairs: four real base points
        // (``_ternary_cubics`` gives the proof and builds them).
        // With three neurons and biases the output bias adds the cube of the constant's point e:
        // f is in M when the one pencil of annihilating conics through e has four real base
        // points, and the cubics whose pencil has a conjugate pair of them are an open set.
        if let ([d0, h, 1], Some(3)) = (self.widths.as_slice(), self.activation.monomial_degree()) {
            if d0 + usize::from(self.bias) == 3 && *h >= 4 {
                return Some(true);
            }
            if self.bias && *d0 == 2 && *h == 3 {
                return Some(false);
            }
        }
        // One input and one output with biases: the polynomials p(x) of degree k, homogenized the
        // binary forms sum a_i (w_i x + b_i y)^k + c y^k. For k >= 3 and |c| large, p(x) - c has at
        // most two real roots, so (distinct roots for almost every c) real rank <= k - 1
        // (Comon and Ottaviani; Causa and Re): h >= k - 1 neurons reach every p. Fewer do not: p'
        // = sum k a_i w_i (w_i x + b_i)^(k-1) has real rank <= h, and the p whose derivative has
        // k - 1 distinct real roots (real rank k - 1) are an open set.
        if let ([1, h, 1], Some(k), true) = (self.widths.as_slice(), self.activation.monomial_degree(), self.bias) {
            return Some(*h + 1 >= k);
        }
        // k neurons with c z^k on binary forms with m = k - 1 or k >= 2 outputs: the outputs lie in
        // the span of k real powers exactly when a normal of their span (one, or a pencil) is a
        // form with k distinct real roots (``_voronoi_hyperplanes``). Pencils near one whose
        // members all have the factor x^2 + y^2 keep a root near +-i in every member: an open set
        // of outputs outside M.
        if let ([2, h, m], Some(k), false) = (self.widths.as_slice(), self.activation.monomial_degree(), self.bias) {
            if *h == k && *m >= 2 && (*m + 1 == k || *m == k) {
                return Some(false);
            }
        }
        // One hidden layer of h neurons with c z^k and one output, no biases: the real forms of
        // degree k of real Waring rank <= h (the output weights carry the coefficients and signs).
        if let ([d0, h, 1], Some(k), false) = (self.widths.as_slice(), self.activation.monomial_degree(), self.bias) {
            if *d0 == 2 {
                // binary forms: every real one has real rank <= k, and one with k distinct real
                // roots has real rank k (Comon and Ottaviani; Causa and Re)
                return Some(h >= &k);
            }
            if k == 2 {
                // quadratic forms: rank <= h, any signature
                return Some(h >= d0);
            }
        }
        None
    }
    fn contains(&self, f: &[f64], tol: f64) -> Result<bool> {
        if self.is_linear() && !self.bias {
            let (d0, dl) = (self.widths[0], *self.widths.last().unwrap());
            let (rank, _) = numerical_rank(f, dl, d0, tol)?;
            return Ok(rank <= *self.widths.iter().min().unwrap());
        }
        Err(crate::error::Error::Unsupported(
            "membership is not implemented for polynomial networks with nonlinear activation".into(),
        ))
    }
}

impl fmt::Display for PolynomialNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "poly:{}^{}{}", join(&self.widths), self.activation, if self.bias { "+bias" } else { "" })
    }
}
