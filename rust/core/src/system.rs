//! Square polynomial systems F(x; p) = 0 with complex coefficients and parameters p,
//! compiled once into straight-line programs for F and its Jacobian.
//!
//! Each system is compiled twice: affine (inputs x, p, coefficients) and homogenized
//! (inputs z_0, z_1..z_n, p, coefficients, with F_i^h(z) = z_0^{d_i} F_i(z / z_0)), the form
//! in which homotopy paths stay bounded even when they go to infinity.

use std::collections::HashMap;

use crate::ddouble::ComplexDd;
use crate::error::{Error, Result};
use crate::scalar::{Complex64, ComplexLanes, Scalar};
use crate::slp::{Reg, Slp, SlpBuilder};

/// c * x^a p^b: `exponents` has one entry per variable, then one per parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub coefficient: Complex64,
    pub exponents: Vec<u32>,
}

/// A square system: as many equations as variables.
#[derive(Clone, Debug)]
pub struct System {
    n_vars: usize,
    n_params: usize,
    equations: Vec<Vec<Term>>,
    degrees: Vec<usize>,
    coefficients: Vec<Complex64>,
    affine: Slp,
    affine_jac: Slp,
    /// Homogenized values, then the Jacobian with respect to z.
    homogeneous_jac: Slp,
    /// Homogenized values, then the Jacobian with respect to z and the parameters.
    homogeneous_jac_zp: Slp,
    /// Homogenized values at p = p1 + t dp, then the Jacobian with respect to (z, t).
    line_jac: Slp,
    /// Homogenized values alone, and at p = p1 + t dp: residuals in extended precision.
    homogeneous: Slp,
    line: Slp,
}

/// Largest total degree accepted (exponents of the start system are stored as u32, and the
/// number of paths grows as the product of the degrees).
pub const MAX_SYSTEM_DEGREE: usize = 10_000;

/// How the parameters enter a compiled program.
#[derive(Clone, Copy, PartialEq)]
enum ParamInputs {
    /// The parameters p are inputs.
    Free,
    /// Inputs t, p1 (n_params), dp (n_params), and p = p1 + t dp: a line in parameter space,
    /// so that derivatives with respect to t are cheap directional derivatives.
    Line,
}

fn compile(
    n_vars: usize,
    n_params: usize,
    equations: &[Vec<Term>],
    homogenize: Option<&[usize]>,
    params: ParamInputs,
) -> Slp {
    // inputs: variables (z_0 first when homogenized), parameter inputs, one coefficient per term
    let nv = n_vars + usize::from(homogenize.is_some());
    let n_param_inputs = match params {
        ParamInputs::Free => n_params,
        ParamInputs::Line => 1 + 2 * n_params,
    };
    let n_terms: usize = equations.iter().map(|e| e.len()).sum();
    let mut b = SlpBuilder::new(nv + n_param_inputs + n_terms);
    // the register of each exponent position: variables, then parameters
    let mut base: Vec<Reg> = (0..nv).map(|i| b.input(i)).collect();
    match params {
        ParamInputs::Free => base.extend((0..n_params).map(|k| b.input(nv + k))),
        ParamInputs::Line => {
            let (t, one) = (b.input(nv), b.one());
            for k in 0..n_params {
                let (p1, dp) = (b.input(nv + 1 + k), b.input(nv + 1 + n_params + k));
                base.push(b.dot(&[(p1, one), (t, dp)]));
            }
        }
    }
    let mut memo: HashMap<Vec<u32>, Reg> = HashMap::new();
    fn monomial(b: &mut SlpBuilder, memo: &mut HashMap<Vec<u32>, Reg>, base: &[Reg], e: &[u32]) -> Reg {
        let Some(i) = e.iter().position(|&k| k > 0) else {
            return b.one();
        };
        if let Some(&r) = memo.get(e) {
            return r;
        }
        let mut rest = e.to_vec();
        rest[i] -= 1;
        let r0 = monomial(b, memo, base, &rest);
        let r = b.mul(r0, base[i]);
        memo.insert(e.to_vec(), r);
        r
    }
    // F_i = sum over monomials z^a of C_a(p) z^a, with C_a(p) = sum of c p^b over the terms
    // with that monomial: the derivatives with respect to z and to the parameters then stay
    // apart (a parameter line moves only the C_a)
    let mut outputs = Vec::with_capacity(equations.len());
    let mut c = nv + n_param_inputs;
    for (i, eq) in equations.iter().enumerate() {
        let mut groups: Vec<(Vec<u32>, Vec<(Reg, Reg)>)> = Vec::new();
        for t in eq {
            let mut e: Vec<u32> = match homogenize {
                Some(d) => {
                    let deg: u32 = t.exponents[..n_vars].iter().sum();
                    std::iter::once(d[i] as u32 - deg).chain(t.exponents.iter().copied()).collect()
                }
                None => t.exponents.clone(),
            };
            let mut pe = vec![0u32; e.len()];
            pe[nv..].copy_from_slice(&e[nv..]);
            e[nv..].iter_mut().for_each(|k| *k = 0);
            let pm = monomial(&mut b, &mut memo, &base, &pe);
            let coefficient = (b.input(c), pm);
            c += 1;
            match groups.iter_mut().find(|g| g.0 == e) {
                Some(g) => g.1.push(coefficient),
                None => groups.push((e, vec![coefficient])),
            }
        }
        let mut pairs = Vec::with_capacity(groups.len());
        for (e, coefficient) in &groups {
            let cr = b.dot(coefficient);
            let m = monomial(&mut b, &mut memo, &base, e);
            pairs.push((cr, m));
        }
        outputs.push(b.dot(&pairs));
    }
    b.finish(outputs)
}

impl System {
    pub fn new(n_vars: usize, n_params: usize, equations: Vec<Vec<Term>>) -> Result<Self> {
        if n_vars == 0 {
            return Err(Error::InvalidArchitecture("a system needs at least one variable".into()));
        }
        if equations.len() != n_vars {
            return Err(Error::Shape(format!(
                "the system is not square: {} equations in {n_vars} variables",
                equations.len()
            )));
        }
        let mut degrees = Vec::with_capacity(n_vars);
        // zero terms carry no information and would confuse the degree of the equation
        let equations: Vec<Vec<Term>> = equations
            .into_iter()
            .map(|eq| eq.into_iter().filter(|t| t.coefficient != Complex64::new(0.0, 0.0)).collect())
            .collect();
        for (i, eq) in equations.iter().enumerate() {
            for t in eq {
                if t.exponents.len() != n_vars + n_params {
                    return Err(Error::Shape(format!(
                        "equation {i}: a term has {} exponents, expected {} (variables then parameters)",
                        t.exponents.len(),
                        n_vars + n_params
                    )));
                }
                if !(t.coefficient.re.is_finite() && t.coefficient.im.is_finite()) {
                    return Err(Error::NonFinite(format!("equation {i} has a NaN or infinite coefficient")));
                }
            }
            let d = eq.iter().map(|t| t.exponents[..n_vars].iter().map(|&k| k as usize).sum::<usize>()).max();
            match d {
                None => return Err(Error::InvalidArchitecture(format!("equation {i} is zero"))),
                Some(0) => {
                    return Err(Error::InvalidArchitecture(format!("equation {i} does not involve the variables")))
                }
                Some(d) if d > MAX_SYSTEM_DEGREE => {
                    return Err(Error::TooLarge(format!("equation {i} has degree {d}")));
                }
                Some(d) => degrees.push(d),
            }
        }
        let coefficients = equations.iter().flatten().map(|t| t.coefficient).collect();
        let affine = compile(n_vars, n_params, &equations, None, ParamInputs::Free);
        let homogeneous = compile(n_vars, n_params, &equations, Some(&degrees), ParamInputs::Free);
        let line = compile(n_vars, n_params, &equations, Some(&degrees), ParamInputs::Line);
        let affine_jac = affine.derivative_wrt(n_vars, usize::MAX).expect("no size limit");
        let homogeneous_jac = homogeneous.value_and_derivative_wrt(n_vars + 1, usize::MAX).expect("no size limit");
        let homogeneous_jac_zp =
            homogeneous.value_and_derivative_wrt(n_vars + 1 + n_params, usize::MAX).expect("no size limit");
        let line_jac = line.value_and_derivative_wrt(n_vars + 2, usize::MAX).expect("no size limit");
        Ok(System {
            n_vars,
            n_params,
            equations,
            degrees,
            coefficients,
            affine,
            affine_jac,
            homogeneous_jac,
            homogeneous_jac_zp,
            line_jac,
            homogeneous,
            line,
        })
    }

    pub fn n_vars(&self) -> usize {
        self.n_vars
    }
    pub fn n_params(&self) -> usize {
        self.n_params
    }
    /// Total degrees of the equations in the variables.
    pub fn degrees(&self) -> &[usize] {
        &self.degrees
    }
    pub fn equations(&self) -> &[Vec<Term>] {
        &self.equations
    }
    /// Product of the degrees: the number of paths of the total-degree homotopy.
    pub fn bezout_number(&self) -> f64 {
        self.degrees.iter().map(|&d| d as f64).product()
    }

    pub fn check_params(&self, p: &[Complex64]) -> Result<()> {
        if p.len() != self.n_params {
            return Err(Error::Shape(format!("the system has {} parameters, got {}", self.n_params, p.len())));
        }
        if p.iter().any(|z| !(z.re.is_finite() && z.im.is_finite())) {
            return Err(Error::NonFinite("parameters contain NaN or infinity".into()));
        }
        Ok(())
    }

    fn inputs(&self, x: &[Complex64], p: &[Complex64], buf: &mut Vec<Complex64>) {
        buf.clear();
        buf.extend_from_slice(x);
        buf.extend_from_slice(p);
        buf.extend_from_slice(&self.coefficients);
    }

    /// F(x; p).
    pub fn evaluate(&self, x: &[Complex64], p: &[Complex64]) -> Vec<Complex64> {
        let mut buf = Vec::new();
        self.inputs(x, p, &mut buf);
        self.affine.eval(&buf)
    }
    /// The size of each equation's terms at x: T_i = sum over the terms of |c| (1 + |x|)^a |p|^b,
    /// the scale against which F_i(x; p) is small or not (its backward error is |F_i| / T_i).
    pub fn term_sizes(&self, x: &[Complex64], p: &[Complex64]) -> Vec<f64> {
        // the program is a sum of products of its inputs: at moduli it gives the sum of the
        // moduli of the terms
        let input: Vec<f64> = x
            .iter()
            .map(|v| 1.0 + v.norm())
            .chain(p.iter().map(|v| v.norm()))
            .chain(self.coefficients.iter().map(|c| c.norm()))
            .collect();
        self.affine.eval(&input)
    }
    /// dF/dx (row-major n x n).
    pub fn jacobian(&self, x: &[Complex64], p: &[Complex64]) -> Vec<Complex64> {
        let mut buf = Vec::new();
        self.inputs(x, p, &mut buf);
        self.affine_jac.eval(&buf)
    }

    /// Homogenized values and Jacobian (n x (n+1)) at z = (z_0, ..., z_n), into scratch space.
    pub(crate) fn eval_homogeneous(
        &self,
        z: &[Complex64],
        p: &[Complex64],
        ws: &mut Workspace,
        values: &mut [Complex64],
        jac: &mut [Complex64],
    ) {
        self.inputs(z, p, &mut ws.inputs);
        run(&self.homogeneous_jac, ws, values, jac)
    }

    /// Homogenized values and Jacobian with respect to (z, p): n x (n + 1 + n_params).
    pub(crate) fn eval_homogeneous_with_params(
        &self,
        z: &[Complex64],
        p: &[Complex64],
        ws: &mut Workspace,
        values: &mut [Complex64],
        jac: &mut [Complex64],
    ) {
        self.inputs(z, p, &mut ws.inputs);
        run(&self.homogeneous_jac_zp, ws, values, jac)
    }

    /// Homogenized values at p = p1 + t dp and the Jacobian with respect to (z, t):
    /// n x (n + 2), the last column being the derivative along the parameter line.
    ///
    /// The values go to `values`, the derivatives with respect to z to the rows of `jz`
    /// (`n` rows of `z.len()` entries, `stride` apart) and those along the line to `jt`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn eval_on_line(
        &self,
        z: &[Complex64],
        t: Complex64,
        p1: &[Complex64],
        dp: &[Complex64],
        ws: &mut Workspace,
        values: &mut [Complex64],
        jz: &mut [Complex64],
        stride: usize,
        jt: &mut [Complex64],
    ) {
        // inputs written straight into the register file (the path tracker's hot loop)
        let prog = &self.line_jac;
        let regs = &mut ws.regs;
        if regs.len() < prog.n_registers() {
            regs.resize(prog.n_registers(), Complex64::default());
        }
        let m = z.len();
        let (head, rest) = regs.split_at_mut(m);
        head.copy_from_slice(z);
        rest[0] = t;
        let np = p1.len();
        rest[1..1 + np].copy_from_slice(p1);
        rest[1 + np..1 + 2 * np].copy_from_slice(dp);
        rest[1 + 2 * np..1 + 2 * np + self.coefficients.len()].copy_from_slice(&self.coefficients);
        prog.eval_registers(regs);
        let out = prog.output_registers();
        let (n, w) = (values.len(), m + 1);
        for i in 0..n {
            values[i] = regs[out[i] as usize];
            let row = &out[n + i * w..n + (i + 1) * w];
            for (x, &r) in jz[i * stride..i * stride + m].iter_mut().zip(&row[..m]) {
                *x = regs[r as usize];
            }
            jt[i] = regs[row[m] as usize];
        }
    }
}

/// Number of points at which [`System::eval_on_line_lanes`] evaluates at once.
pub(crate) const LINE_LANES: usize = 4;

/// Register file for evaluations along parameter lines at [`LINE_LANES`] points at once.
pub(crate) struct LineLanes {
    regs: Vec<ComplexLanes<LINE_LANES>>,
    /// The parameter line (addresses of p1 and dp) whose values each lane holds: a path
    /// keeps its line for all of its evaluations, which then load only z and t. Lines are
    /// told apart by address, so they must not change while these lanes are in use.
    lines: [Option<(usize, usize)>; LINE_LANES],
}

/// One point of a batched evaluation: z, t and the parameter line p1 + t dp.
pub(crate) type LinePoint<'a> = (&'a [Complex64], Complex64, &'a [Complex64], &'a [Complex64]);

/// Where one point's values, derivatives with respect to z and along the line go.
pub(crate) type LineOutput<'a> = (&'a mut [Complex64], &'a mut [Complex64], &'a mut [Complex64]);

impl System {
    pub(crate) fn line_lanes(&self) -> LineLanes {
        let prog = &self.line_jac;
        let mut regs = vec![ComplexLanes::zero(); prog.n_registers()];
        // the coefficients are the same in every lane and at every point: written once
        let first = self.n_vars + 2 + 2 * self.n_params;
        for (r, c) in regs[first..].iter_mut().zip(&self.coefficients) {
            *r = ComplexLanes { re: [c.re; LINE_LANES], im: [c.im; LINE_LANES] };
        }
        LineLanes { regs, lines: [None; LINE_LANES] }
    }

    /// [`System::eval_on_line`] at up to [`LINE_LANES`] points in one pass over the program,
    /// rounded exactly as one point at a time: lane k evaluates `points[k]` into `outs[k]`.
    pub(crate) fn eval_on_line_lanes(
        &self,
        points: &[Option<LinePoint>; LINE_LANES],
        lanes: &mut LineLanes,
        outs: &mut [Option<LineOutput>; LINE_LANES],
        stride: usize,
    ) {
        let prog = &self.line_jac;
        let regs = &mut lanes.regs;
        let (m, np) = (self.n_vars + 1, self.n_params);
        for (k, point) in points.iter().enumerate() {
            let Some((z, t, p1, dp)) = point else { continue };
            for (r, &x) in regs[..m].iter_mut().zip(z.iter()) {
                r.set_lane(k, x);
            }
            regs[m].set_lane(k, *t);
            let line = (p1.as_ptr() as usize, dp.as_ptr() as usize);
            if lanes.lines[k] != Some(line) {
                for i in 0..np {
                    regs[m + 1 + i].set_lane(k, p1[i]);
                    regs[m + 1 + np + i].set_lane(k, dp[i]);
                }
                lanes.lines[k] = Some(line);
            }
        }
        prog.eval_registers(regs);
        let out = prog.output_registers();
        let (n, w) = (self.n_vars, m + 1);
        for (k, slot) in outs.iter_mut().enumerate() {
            let Some((values, jz, jt)) = slot else { continue };
            for i in 0..n {
                values[i] = regs[out[i] as usize].lane(k);
                let row = &out[n + i * w..n + (i + 1) * w];
                for (x, &r) in jz[i * stride..i * stride + m].iter_mut().zip(&row[..m]) {
                    *x = regs[r as usize].lane(k);
                }
                jt[i] = regs[row[m] as usize].lane(k);
            }
        }
    }
}

impl System {
    /// Homogenized values in double-double precision.
    pub(crate) fn eval_homogeneous_extended(
        &self,
        z: &[Complex64],
        p: &[Complex64],
        ws: &mut Workspace,
        values: &mut [ComplexDd],
    ) {
        let buf = &mut ws.wide_inputs;
        buf.clear();
        buf.extend(z.iter().chain(p).chain(&self.coefficients).map(|&c| ComplexDd::new(c)));
        run_extended(&self.homogeneous, ws, values)
    }

    /// Homogenized values at p = p1 + t dp in double-double precision.
    pub(crate) fn eval_on_line_extended(
        &self,
        z: &[Complex64],
        t: Complex64,
        p1: &[Complex64],
        dp: &[Complex64],
        ws: &mut Workspace,
        values: &mut [ComplexDd],
    ) {
        let buf = &mut ws.wide_inputs;
        buf.clear();
        let inputs = z.iter().chain(std::iter::once(&t)).chain(p1).chain(dp).chain(&self.coefficients);
        buf.extend(inputs.map(|&c| ComplexDd::new(c)));
        run_extended(&self.line, ws, values)
    }
}

fn run_extended(prog: &Slp, ws: &mut Workspace, values: &mut [ComplexDd]) {
    ws.wide_out.resize(prog.n_outputs(), ComplexDd::default());
    prog.eval_with(&ws.wide_inputs, &mut ws.wide_regs, &mut ws.wide_out);
    values.copy_from_slice(&ws.wide_out[..values.len()]);
}

/// Evaluate a values-then-Jacobian program on the inputs in `ws`.
fn run(prog: &Slp, ws: &mut Workspace, values: &mut [Complex64], jac: &mut [Complex64]) {
    ws.out.resize(prog.n_outputs(), Complex64::default());
    prog.eval_with(&ws.inputs, &mut ws.regs, &mut ws.out);
    let m = values.len();
    values.copy_from_slice(&ws.out[..m]);
    jac.copy_from_slice(&ws.out[m..]);
}

/// Scratch space of one path tracker.
#[derive(Default, Debug)]
pub(crate) struct Workspace {
    inputs: Vec<Complex64>,
    regs: Vec<Complex64>,
    out: Vec<Complex64>,
    wide_inputs: Vec<ComplexDd>,
    wide_regs: Vec<ComplexDd>,
    wide_out: Vec<ComplexDd>,
}
