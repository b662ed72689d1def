//! The nearest point of {a_1 u_1^T + a_2 u_2^T : a_i in R^m, u_i in an open 2-dimensional cone,
//! u_1, u_2 independent} to data Y (m x K): two ReLU neurons with several outputs on one union
//! of faces of their cones (the data and generators centred when the output biases are free).
//!
//! With u_i = (1 - z_i) g_i + (1 + z_i) h_i = p_i + z_i q_i, z_i in (-1, 1), the best a's capture
//! E = tr(Y P_U Y^T) = Nu / D, D = det U^T U, Nu = tr(N adj(U^T U) N^T), N = Y U, both of bidegree
//! (2, 2) in (z_1, z_2). A nearest point is a critical point of E: eq_i = d_i Nu D - Nu d_i D = 0,
//! of bidegrees (2, 4) and (4, 2) (the top terms cancel). Their resultant in z_1 (a 6 x 6
//! Sylvester determinant) has degree at most 20 in z_2: its values at 32 points of the unit
//! circle give its coefficients, its roots near (-1, 1) the candidates for z_2, the quadratic
//! eq_1 those for z_1, and Newton steps on the pair refine them. The resultant's values can span
//! many orders of magnitude over the box (a near-multiple root blurs the roots next to it), so
//! ascents on E from a 6 x 6 grid of the box, each polished by Newton, add their
//! critical points. Only converged critical points inside the box count: each is a point of the
//! set, so an extra one can only bring the distance down to the exact one.

use num_complex::Complex64;

use crate::error::{Error, Result};
use crate::rank::companion_roots;

const CIRCLE: usize = 32; // points of the unit circle for the resultant of degree <= 20
const RESULTANT_DEGREE: usize = 20;
const NEAR_REAL: f64 = 0.05; // roots within this of the real interval (-1, 1) are refined
const NEWTON_STEPS: usize = 30;
const INDEPENDENT: f64 = 1e-10; // det U^T U / (|u_1|^2 |u_2|^2) below this: dependent u's
const SEEDS: usize = 6; // ascents also start from a SEEDS x SEEDS grid of the box
const ASCENT_STEPS: usize = 60;

/// Unions of two 2-dimensional cones: per union the rows (p_1, q_1, p_2, q_2) (4 x points,
/// stacked), centred when `centre` (then the data are centred too); their indices among all
/// unions.
#[derive(Clone, Debug)]
pub struct ConePairs {
    pub centre: bool,
    pub rows: Vec<f64>,
    pub index: Vec<usize>,
}

impl ConePairs {
    pub(crate) fn check(&self, points: usize) -> Result<()> {
        if self.rows.len() != self.index.len() * 4 * points {
            return Err(Error::Shape(format!(
                "{} pairs of cones at {points} points need {} rows entries, got {}",
                self.index.len(),
                self.index.len() * 4 * points,
                self.rows.len()
            )));
        }
        if self.rows.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite("cone generators with NaN or infinity".into()));
        }
        Ok(())
    }

    pub(crate) fn union_rows(&self, c: usize, points: usize) -> &[f64] {
        &self.rows[c * 4 * points..(c + 1) * 4 * points]
    }
}

/// A polynomial in (z_1, z_2): c[i][j] the coefficient of z_1^i z_2^j.
type Bi = [[f64; 5]; 5];

fn mul(a: &Bi, b: &Bi) -> Bi {
    let mut out = [[0.0; 5]; 5];
    for (i, ai) in a.iter().enumerate() {
        for (j, &x) in ai.iter().enumerate() {
            if x == 0.0 {
                continue;
            }
            for (k, bk) in b.iter().enumerate() {
                for (l, &y) in bk.iter().enumerate() {
                    if y != 0.0 {
                        // degrees stay within 4 here: the factors' degrees add up to at most 4
                        out[i + k][j + l] += x * y;
                    }
                }
            }
        }
    }
    out
}

fn derivative(a: &Bi, axis: usize) -> Bi {
    let mut out = [[0.0; 5]; 5];
    for i in 0..5 {
        for j in 0..5 {
            match axis {
                0 if i > 0 => out[i - 1][j] = i as f64 * a[i][j],
                1 if j > 0 => out[i][j - 1] = j as f64 * a[i][j],
                _ => {}
            }
        }
    }
    out
}

fn sub(a: &Bi, b: &Bi) -> Bi {
    let mut out = *a;
    out.iter_mut().flatten().zip(b.iter().flatten()).for_each(|(x, y)| *x -= y);
    out
}

fn value(a: &Bi, z: [f64; 2]) -> f64 {
    a.iter().rev().fold(0.0, |acc, row| acc * z[0] + row.iter().rev().fold(0.0, |r, &c| r * z[1] + c))
}

/// u_1.A.u_1, u_1.A.u_2, u_2.A.u_2 for a symmetric A in the basis (p_1, q_1, p_2, q_2).
fn forms(a: &[[f64; 4]; 4]) -> (Bi, Bi, Bi) {
    let (mut f11, mut f12, mut f22) = ([[0.0; 5]; 5], [[0.0; 5]; 5], [[0.0; 5]; 5]);
    f11[0][0] = a[0][0];
    f11[1][0] = 2.0 * a[0][1];
    f11[2][0] = a[1][1];
    for i in 0..2 {
        for j in 0..2 {
            f12[i][j] = a[i][2 + j];
        }
    }
    f22[0][0] = a[2][2];
    f22[0][1] = 2.0 * a[2][3];
    f22[0][2] = a[3][3];
    (f11, f12, f22)
}

/// The captured energy E = Nu / D of the data's forms P and the Gram matrix W, the Gram
/// determinant's bound (D against |u_1|^2 |u_2|^2) and E's critical equations (eq_1 of degree
/// <= 2 in z_1, eq_2 of degree <= 2 in z_2; (eq_1, eq_2) / D^2 is E's gradient).
struct Energy {
    nu: Bi,
    d: Bi,
    w11: Bi,
    w22: Bi,
    eq1: Bi,
    eq2: Bi,
}

impl Energy {
    fn new(p: &[[f64; 4]; 4], w: &[[f64; 4]; 4]) -> Self {
        let (w11, w12, w22) = forms(w);
        let (p11, p12, p22) = forms(p);
        let d = sub(&mul(&w11, &w22), &mul(&w12, &w12));
        let mut nu = sub(&mul(&p11, &w22), &mul(&p12, &w12));
        nu = sub(&nu, &mul(&p12, &w12));
        nu.iter_mut().flatten().zip(mul(&p22, &w11).iter().flatten()).for_each(|(x, y)| *x += y);
        let mut eqs = [[[0.0; 5]; 5]; 2];
        for (axis, eq) in eqs.iter_mut().enumerate() {
            *eq = sub(&mul(&derivative(&nu, axis), &d), &mul(&nu, &derivative(&d, axis)));
            // the top terms cancel exactly
            for (i, row) in eq.iter_mut().enumerate() {
                for (j, c) in row.iter_mut().enumerate() {
                    if (axis == 0 && i > 2) || (axis == 1 && j > 2) {
                        *c = 0.0;
                    }
                }
            }
        }
        let [eq1, eq2] = eqs;
        Energy { nu, d, w11, w22, eq1, eq2 }
    }

    /// E at z inside the box, or None outside or where u_1, u_2 are (nearly) dependent.
    fn at(&self, z: [f64; 2]) -> Option<f64> {
        if z[0].abs() >= 1.0 || z[1].abs() >= 1.0 {
            return None;
        }
        let d = value(&self.d, z);
        (d > INDEPENDENT * value(&self.w11, z) * value(&self.w22, z)).then(|| value(&self.nu, z) / d)
    }

    /// Ascent on E from z inside the box (along the gradient, backtracking), to the top of z's
    /// basin: Newton on the critical equations needs a start near a root.
    fn ascend(&self, mut z: [f64; 2]) -> [f64; 2] {
        let Some(mut here) = self.at(z) else { return z };
        let mut step = 0.1;
        for _ in 0..ASCENT_STEPS {
            let slope = [value(&self.eq1, z), value(&self.eq2, z)];
            let norm = slope[0].hypot(slope[1]);
            if norm == 0.0 || !norm.is_finite() {
                break;
            }
            let mut moved = false;
            while step > 1e-12 {
                let next = [z[0] + step * slope[0] / norm, z[1] + step * slope[1] / norm];
                if let Some(v) = self.at(next).filter(|&v| v > here) {
                    (z, here, moved) = (next, v, true);
                    step *= 2.0;
                    break;
                }
                step /= 2.0;
            }
            if !moved {
                break;
            }
        }
        z
    }
}

/// The determinant of a complex 6 x 6 matrix by elimination with partial pivoting.
fn determinant(mut a: [[Complex64; 6]; 6]) -> Complex64 {
    let mut det = Complex64::new(1.0, 0.0);
    for col in 0..6 {
        let pivot = (col..6).max_by(|&x, &y| a[x][col].norm().total_cmp(&a[y][col].norm())).unwrap_or(col);
        if a[pivot][col].norm() == 0.0 {
            return Complex64::new(0.0, 0.0);
        }
        if pivot != col {
            a.swap(pivot, col);
            det = -det;
        }
        det *= a[col][col];
        let pivot_row = a[col];
        for row in a.iter_mut().skip(col + 1) {
            let f = row[col] / pivot_row[col];
            row.iter_mut().zip(&pivot_row).skip(col).for_each(|(x, &v)| *x -= f * v);
        }
    }
    det
}

/// The real parts of the roots of sum c_j x^j within NEAR_REAL of the interval (-1, 1).
fn roots_near_the_box(c: &[f64]) -> Result<Vec<f64>> {
    let top = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if top == 0.0 {
        return Ok(vec![]);
    }
    let Some(deg) = c.iter().rposition(|v| v.abs() > 1e-13 * top) else {
        return Ok(vec![]);
    };
    let near = |re: f64, im: f64| im.abs() < NEAR_REAL && re.abs() < 1.0 + NEAR_REAL;
    Ok(match deg {
        0 => vec![],
        1 => {
            let r = -c[0] / c[1];
            if near(r, 0.0) {
                vec![r]
            } else {
                vec![]
            }
        }
        _ => companion_roots(&c[..=deg])?.iter().filter(|z| near(z.re, z.im)).map(|z| z.re).collect(),
    })
}

/// Newton steps on (eq_1, eq_2) = 0 from z; the root if they converge inside the box (a
/// critical point: ends elsewhere, such as next to the box's boundary where the union's
/// infimum may lie, would only tie with the smaller unions there).
fn newton(eq1: &Bi, eq2: &Bi, mut z: [f64; 2]) -> Option<[f64; 2]> {
    let d = [[derivative(eq1, 0), derivative(eq1, 1)], [derivative(eq2, 0), derivative(eq2, 1)]];
    let mut converged = false;
    for _ in 0..NEWTON_STEPS {
        let (f1, f2) = (value(eq1, z), value(eq2, z));
        let (a, b, c, e) = (value(&d[0][0], z), value(&d[0][1], z), value(&d[1][0], z), value(&d[1][1], z));
        let det = a * e - b * c;
        if det == 0.0 || !det.is_finite() {
            break;
        }
        let step = [((e * f1 - b * f2) / det).clamp(-0.5, 0.5), ((a * f2 - c * f1) / det).clamp(-0.5, 0.5)];
        z = [z[0] - step[0], z[1] - step[1]];
        if step[0].abs().max(step[1].abs()) < 1e-12 {
            converged = true;
            break;
        }
    }
    (converged && z[0].abs() < 1.0 && z[1].abs() < 1.0).then_some(z)
}

/// |Y - Y P_U|^2 at u_i = p_i + z_i q_i, or None where u_1, u_2 are (nearly) dependent.
fn residual_at(y: &[f64], rows: &[f64], z: [f64; 2], points: usize) -> Option<f64> {
    let u: Vec<Vec<f64>> = (0..2)
        .map(|i| {
            let (p, q) =
                (&rows[2 * i * points..(2 * i + 1) * points], &rows[(2 * i + 1) * points..(2 * i + 2) * points]);
            p.iter().zip(q).map(|(a, b)| a + z[i] * b).collect()
        })
        .collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let (g11, g12, g22) = (dot(&u[0], &u[0]), dot(&u[0], &u[1]), dot(&u[1], &u[1]));
    let det = g11 * g22 - g12 * g12;
    if det <= INDEPENDENT * g11 * g22 {
        return None;
    }
    let mut total = 0.0;
    for row in y.chunks(points) {
        let (n1, n2) = (dot(row, &u[0]), dot(row, &u[1]));
        // least-squares coefficients of the row on u_1, u_2
        let (c1, c2) = ((g22 * n1 - g12 * n2) / det, (g11 * n2 - g12 * n1) / det);
        total += row.iter().enumerate().map(|(p, &v)| (v - c1 * u[0][p] - c2 * u[1][p]).powi(2)).sum::<f64>();
    }
    Some(total)
}

/// The squared distance from y (outputs x points) to the span of all four rows (p_1, q_1, p_2,
/// q_2): a lower bound on the union's distance. Modified Gram-Schmidt, dropping rows within
/// 1e-10 of the span of the earlier ones (their span is the same up to that).
pub fn span_residual(y: &[f64], rows: &[f64], points: usize) -> f64 {
    // v minus its projections on the orthonormal rows of basis, in turn; |v|^2 after that
    let remove = |basis: &[f64], v: &mut [f64]| {
        for q in basis.chunks(points) {
            let w: f64 = v.iter().zip(q).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(q).for_each(|(a, b)| *a -= w * b);
        }
        v.iter().map(|x| x * x).sum::<f64>()
    };
    let mut basis: Vec<f64> = Vec::with_capacity(4 * points);
    let mut v = vec![0.0; points];
    for row in rows.chunks(points) {
        v.copy_from_slice(row);
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let left = remove(&basis, &mut v).sqrt();
        if left > 1e-10 * norm {
            basis.extend(v.iter().map(|x| x / left));
        }
    }
    y.chunks(points)
        .map(|row| {
            v.copy_from_slice(row);
            remove(&basis, &mut v)
        })
        .sum()
}

/// The least squared distance from y (outputs x points) to the union of two cones with rows
/// (p_1, q_1, p_2, q_2), and its (z_1, z_2); None where no critical point lies inside (an error
/// only if the eigenvalues of a companion matrix fail).
pub fn pair_distance(y: &[f64], rows: &[f64], points: usize, outputs: usize) -> Result<Option<(f64, [f64; 2])>> {
    let h = |a: usize| &rows[a * points..(a + 1) * points];
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut w = [[0.0; 4]; 4];
    let mut p = [[0.0; 4]; 4];
    let z: Vec<[f64; 4]> =
        (0..outputs).map(|o| std::array::from_fn(|a| dot(&y[o * points..(o + 1) * points], h(a)))).collect();
    for a in 0..4 {
        for b in 0..4 {
            w[a][b] = dot(h(a), h(b));
            p[a][b] = z.iter().map(|r| r[a] * r[b]).sum();
        }
    }
    // E's critical points do not change with the scales of P and W
    for m in [&mut w, &mut p] {
        let top = m.iter().flatten().fold(0.0f64, |t, v| t.max(v.abs()));
        if top == 0.0 {
            return Ok(None);
        }
        m.iter_mut().flatten().for_each(|v| *v /= top);
    }
    let energy = Energy::new(&p, &w);
    let (eq1, eq2) = (&energy.eq1, &energy.eq2);
    // the resultant in z_1 at z_2 = w_n on the unit circle
    let mut values = [Complex64::new(0.0, 0.0); CIRCLE];
    for (n, v) in values.iter_mut().enumerate() {
        let x = Complex64::from_polar(1.0, 2.0 * std::f64::consts::PI * n as f64 / CIRCLE as f64);
        let at = |eq: &Bi, i: usize| eq[i].iter().rev().fold(Complex64::new(0.0, 0.0), |acc, &c| acc * x + c);
        let f: Vec<Complex64> = (0..3).map(|i| at(eq1, i)).collect();
        let g: Vec<Complex64> = (0..5).map(|i| at(eq2, i)).collect();
        let mut s = [[Complex64::new(0.0, 0.0); 6]; 6];
        for r in 0..4 {
            for k in 0..3 {
                s[r][r + k] = f[2 - k];
            }
        }
        for r in 0..2 {
            for k in 0..5 {
                s[4 + r][r + k] = g[4 - k];
            }
        }
        *v = determinant(s);
    }
    let coefficients: Vec<f64> = (0..=RESULTANT_DEGREE)
        .map(|j| {
            let sum: Complex64 = values
                .iter()
                .enumerate()
                .map(|(n, v)| {
                    v * Complex64::from_polar(1.0, -2.0 * std::f64::consts::PI * (j * n) as f64 / CIRCLE as f64)
                })
                .sum();
            sum.re / CIRCLE as f64 // real: the equations are
        })
        .collect();
    let mut starts = Vec::new();
    for z2 in roots_near_the_box(&coefficients)? {
        let quadratic: Vec<f64> = (0..3).map(|i| eq1[i].iter().rev().fold(0.0, |acc, &c| acc * z2 + c)).collect();
        starts.extend(roots_near_the_box(&quadratic)?.into_iter().map(|z1| [z1, z2]));
    }
    // the resultant's values can span many orders of magnitude over the box, which blurs roots
    // next to a near-multiple one: ascents from a grid of the box as well, each polished by
    // Newton (every point inside the box is a point of the set, so extra starts can only lower
    // the distance towards the exact one)
    let grid = |k: usize| -1.0 + (2 * k + 1) as f64 / SEEDS as f64;
    starts.extend((0..SEEDS * SEEDS).map(|k| [grid(k / SEEDS), grid(k % SEEDS)]));
    let mut best: Option<(f64, [f64; 2])> = None;
    let mut offer = |z: [f64; 2]| {
        if z[0].abs() < 1.0 && z[1].abs() < 1.0 {
            if let Some(v) = residual_at(y, rows, z, points) {
                if best.is_none_or(|(b, _)| v < b) {
                    best = Some((v, z));
                }
            }
        }
    };
    for start in starts {
        let polished = newton(eq1, eq2, start);
        if let Some(z) = polished {
            offer(z);
        }
        if let Some(z) = newton(eq1, eq2, energy.ascend(polished.unwrap_or(start))) {
            offer(z);
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomial_products_and_values_agree() {
        let mut a = [[0.0; 5]; 5];
        a[1][0] = 2.0; // 2 z_1
        a[0][1] = 1.0; // + z_2
        let mut b = [[0.0; 5]; 5];
        b[0][0] = 1.0;
        b[1][1] = 3.0; // 1 + 3 z_1 z_2
        let z = [0.3, -0.7];
        assert!((value(&mul(&a, &b), z) - value(&a, z) * value(&b, z)).abs() < 1e-14);
        let h = 1e-6;
        let numeric = (value(&a, [z[0] + h, z[1]]) - value(&a, [z[0] - h, z[1]])) / (2.0 * h);
        assert!((value(&derivative(&a, 0), z) - numeric).abs() < 1e-8);
    }

    proptest::proptest! {
        /// Data on the set, or next to it, are no farther than the point they came from: the
        /// critical point at (or next to) it is found, inside the box, with its residual.
        #[test]
        fn data_next_to_the_set_find_its_point(
            rows in proptest::collection::vec(-1.0f64..1.0, 20),
            z in proptest::collection::vec(-0.9f64..0.9, 2),
            a in proptest::collection::vec(-2.0f64..2.0, 4),
            noise in proptest::collection::vec(-1e-3f64..1e-3, 10),
        ) {
            let z = [z[0], z[1]];
            let u: Vec<Vec<f64>> = (0..2).map(|i| (0..5).map(|p| rows[2 * i * 5 + p] + z[i] * rows[(2 * i + 1) * 5 + p]).collect()).collect();
            let y: Vec<f64> = (0..10).map(|k| a[k / 5] * u[0][k % 5] + a[2 + k / 5] * u[1][k % 5] + noise[k]).collect();
            // a point where the map (z, a) -> a_1 u_1^T + a_2 u_2^T is an immersion, well
            // conditioned: independent u's and a's, so the data's nearest point is a critical
            // point next to it (with a_2 -> 0 the nearest may lie on the boundary instead)
            let dot = |x: &[f64], w: &[f64]| x.iter().zip(w).map(|(p, q)| p * q).sum::<f64>();
            let (g11, g12, g22) = (dot(&u[0], &u[0]), dot(&u[0], &u[1]), dot(&u[1], &u[1]));
            proptest::prop_assume!(g11 * g22 - g12 * g12 > 0.1 * g11 * g22);
            proptest::prop_assume!((a[0] * a[3] - a[1] * a[2]).abs() > 0.5);
            let here = residual_at(&y, &rows, z, 5);
            let found = pair_distance(&y, &rows, 5, 2).unwrap();
            proptest::prop_assert!(found.is_some());
            let (d, w) = found.unwrap();
            proptest::prop_assert!(w[0].abs() < 1.0 && w[1].abs() < 1.0);
            proptest::prop_assert!((residual_at(&y, &rows, w, 5).unwrap() - d).abs() <= 1e-12 * (1.0 + d));
            proptest::prop_assert!(d <= here.unwrap() + 1e-12, "{d} above {:?}", here);
        }
    }

    #[test]
    fn orthogonal_cones_split_into_two_eigenproblems() {
        // K = 4: cone 1 spans e1, e2 (g = e1, h = e2), cone 2 spans e3, e4; Y (2 x 4) with rows
        // (2, 1, 0, 0) and (0, 0, 1, 3): u_1 = (2, 1) and u_2 = (1, 3) direction fit exactly,
        // both inside their quadrants: distance 0
        let (g1, h1, g2, h2) = ([1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]);
        let row = |a: [f64; 4], b: [f64; 4], s: f64| -> Vec<f64> { a.iter().zip(&b).map(|(x, y)| y + s * x).collect() };
        let rows: Vec<f64> = [row(g1, h1, 1.0), row(g1, h1, -1.0), row(g2, h2, 1.0), row(g2, h2, -1.0)].concat();
        let y = [2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 3.0];
        let (d, z) = pair_distance(&y, &rows, 4, 2).unwrap().unwrap();
        assert!(d < 1e-20, "{d}");
        // u_1 = (1 - z1) e1 + (1 + z1) e2 ~ (2, 1): z1 = -1/3; u_2 ~ (1, 3): z2 = 1/2
        assert!((z[0] + 1.0 / 3.0).abs() < 1e-10 && (z[1] - 0.5).abs() < 1e-10);
        // a direction outside a quadrant is not reached inside it
        let y = [2.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 3.0];
        assert!(pair_distance(&y, &rows, 4, 2).unwrap().is_none_or(|(d, _)| d > 1e-6));
    }
}
