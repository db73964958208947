//! Ensemble members are independent: member `k` advanced in lockstep with the others (side by
//! side on the thread pool) ends bitwise where the single run of its perturbed model does, in
//! f32 and f64; the control member is the deterministic model; every member's water budget
//! closes as a single run's does.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use basintwin_core::{Backend, MassLedger, OutputPlan, Precision, Real, State, Terrain};
use basintwin_runner::dispatch::{
    BackendChoice, BackendJob, MembersJob, dispatch, dispatch_members,
};
use basintwin_runner::ensemble::{
    MemberModel, lockstep, member_inputs, member_model, member_models,
};
use basintwin_runner::load_model;
use basintwin_runner::scenario::{self, Scenario};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// examples/valley_ensemble.toml, 20 minutes, with absolute dataset paths.
fn valley_ensemble(precision: &str) -> Scenario {
    let dir = std::env::temp_dir().join(format!(
        "basintwin-members-{}-{precision}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join("examples/valley_ensemble.toml"))
        .unwrap()
        .replace(
            "../datasets",
            &root().join("datasets").display().to_string(),
        )
        .replace("duration_s = 7200", "duration_s = 1200")
        .replace(
            "precision = \"f32\"",
            &format!("precision = \"{precision}\""),
        )
        .replace("members = 20 ", "members = 4 ");
    let p = dir.join("s.toml");
    std::fs::write(&p, text).unwrap();
    scenario::load(&p).unwrap()
}

/// What a run ends with.
#[derive(Debug, PartialEq)]
struct End {
    h: Vec<u64>,
    qx: Vec<u64>,
    qy: Vec<u64>,
    steps: u64,
    ledger: MassLedger,
}

fn end<B: Backend>(b: &mut B) -> End {
    let mut s = State::<B::Real>::dry(b.grid().cells());
    b.read_state(&mut s).unwrap();
    let bits = |v: &[B::Real]| v.iter().map(|x| x.f64().to_bits()).collect();
    End {
        h: bits(&s.h),
        qx: bits(&s.qx),
        qy: bits(&s.qy),
        steps: b.steps(),
        ledger: b.ledger(),
    }
}

fn plan(sc: &Scenario) -> OutputPlan {
    OutputPlan::new(
        sc.duration_s,
        sc.output_interval_s,
        sc.gauge_interval_s,
        None,
    )
    .unwrap()
}

/// All members in lockstep, as `basintwin run` advances an ensemble.
struct Together<'a>(&'a [MemberModel], OutputPlan);

impl MembersJob for Together<'_> {
    type Output = Vec<End>;
    fn initial_state<R: Real>(&self, k: usize, _: &mut Terrain) -> State<R> {
        State::from_depth(&self.0[k].depth_m)
    }
    fn run<B: Backend + Send>(self, mut members: Vec<B>) -> anyhow::Result<Vec<End>> {
        for &(t, _) in self.1.outputs() {
            lockstep::advance(&mut members, t)?;
        }
        Ok(members.iter_mut().map(end).collect())
    }
}

/// One member alone, through the same output times.
struct Alone<'a>(&'a MemberModel, OutputPlan);

impl BackendJob for Alone<'_> {
    type Output = End;
    fn initial_state<R: Real>(&self, _: &mut Terrain) -> State<R> {
        State::from_depth(&self.0.depth_m)
    }
    fn run<B: Backend>(self, mut b: B) -> anyhow::Result<End> {
        for &(t, _) in self.1.outputs() {
            b.advance_to(t)?;
        }
        Ok(end(&mut b))
    }
}

fn check(precision: &str, p: Precision, choice: BackendChoice) {
    let sc = valley_ensemble(precision);
    let spec = sc.ensemble.clone().unwrap();
    let model = load_model(&sc).unwrap();
    let members = member_models(&sc, &spec, &model, p);
    let inputs = member_inputs(&sc, &model, &members, None);
    let together = dispatch_members(choice, &inputs, Together(&members, plan(&sc))).unwrap();
    for (k, m) in members.iter().enumerate() {
        let alone = dispatch(choice, &inputs[k], Alone(m, plan(&sc))).unwrap();
        assert!(
            alone == together[k],
            "{precision}: member {k} differs from its single run"
        );
        let l = &alone.ledger;
        let tol = if p == Precision::F64 { 1e-10 } else { 1e-5 };
        assert!(
            l.relative_error().abs() < tol,
            "{precision}: member {k}: {l}"
        );
    }
    // The control is the deterministic model; the others differ from it and from each other.
    assert_eq!(members[0].forcing, model.forcing);
    assert_eq!(members[0].terrain, model.terrain);
    for k in 1..members.len() {
        assert_ne!(together[k].h, together[0].h, "member {k} is not perturbed");
        assert_ne!(together[k].ledger.rain_m3, together[k - 1].ledger.rain_m3);
    }
}

#[test]
fn members_equal_their_single_runs_bitwise_in_f64() {
    check("f64", Precision::F64, BackendChoice::Cpu(Precision::F64));
}

#[test]
fn members_equal_their_single_runs_bitwise_in_f32() {
    check("f32", Precision::F32, BackendChoice::Cpu(Precision::F32));
}

/// On the GPU (lavapipe in CI) the members share the device and are started together; each
/// still ends where its own GPU run does. Without an adapter the test says so and passes,
/// unless `BASINTWIN_REQUIRE_GPU=1`.
#[test]
fn gpu_members_equal_their_single_gpu_runs_bitwise() {
    if let Err(e) = basintwin_gpu::GpuContext::from_env() {
        let required = std::env::var("BASINTWIN_REQUIRE_GPU").is_ok_and(|v| v == "1");
        assert!(!required, "BASINTWIN_REQUIRE_GPU=1 but: {e}");
        eprintln!("skipped: {e}");
        return;
    }
    check("f32", Precision::F32, BackendChoice::Gpu);
}

/// The same seed draws the same members whatever the number of members; another seed others.
#[test]
fn seeds_reproduce_members() {
    let sc = valley_ensemble("f32");
    let mut spec = sc.ensemble.clone().unwrap();
    let model = load_model(&sc).unwrap();
    let draw = |spec: &scenario::EnsembleSpec, k| {
        member_model(&model, spec, k, sc.duration_s, Precision::F32).forcing
    };
    let a = draw(&spec, 2);
    spec.members = 50;
    assert_eq!(draw(&spec, 2), a);
    spec.seed += 1;
    assert_ne!(draw(&spec, 2), a);
}
