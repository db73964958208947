//! The pointwise numerics, WGSL against Rust (both f32), function by function: a small compute
//! shader calls the twins in `shaders/numerics/` (`numerics/riemann.wgsl::hllc` ...) on a table
//! of interface and cell states and the results are compared, in ulps, with
//! `basintwin_core::numerics` on the same f32 inputs. Runs on whatever adapter the machine has (Mesa's lavapipe in CI); without one it
//! says so and passes, unless `BASINTWIN_REQUIRE_GPU=1`.
//!
//! What to expect: where both sides do the same IEEE operations (+, -, *, /, sqrt, min, max,
//! select) the results are bitwise equal, unless the shader compiler contracts a multiply and
//! an add into one fused operation (WGSL allows it; Rust never does) — then they differ by a
//! rounding of that product, which cancellation can magnify in ulps of a small result but not
//! beyond a few ulps of the terms that cancelled. The friction factor takes the cube root with
//! WGSL's `pow` where Rust has `Real::cbrt_fast` (Newton): a few ulps apart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use basintwin_core::numerics::{
    CellState, Params, cfl, friction, fv1, inertial, reconstruction, riemann, velocity,
};
use basintwin_gpu::GpuContext;

mod common;
use common::context;
use wgpu::util::DeviceExt;

/// Inputs of one row, as the kernel reads them.
const IN: usize = 6;
/// Outputs of one row.
const OUT: usize = 4;

/// Calls the twins in WGSL on each row. `inp[0]` = (hl, ul, vl, hr), `inp[1]` = (ur, vr, a, b)
/// (HLLC's states and the limiter's differences), `inp[2]`, `inp[3]` = the cell states
/// (h, qn, qt, z) left and right, `inp[4]` = (g, h_dry, dt, g_n2), `inp[5]` = (friction depth,
/// |q|, 1/dx, 1/dy).
const KERNEL: &str = r#"
struct Row {
    inp: array<vec4<f32>, 6>,
}

@group(0) @binding(0) var<storage, read> rows: array<Row>;
@group(0) @binding(1) var<storage, read_write> results: array<array<vec4<f32>, 4>>;

@compute @workgroup_size(64)
fn eval(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= arrayLength(&rows) {
        return;
    }
    let r = rows[i].inp;
    let g = r[4].x;
    let h_dry = r[4].y;
    let dt = r[4].z;
    let g_n2 = r[4].w;
    let l = r[2];
    let rr = r[3];
    let f = hllc(r[0].x, r[0].y, r[0].z, r[0].w, r[1].x, r[1].y, g);
    results[i][0] = vec4<f32>(f, limited_slope(r[1].z, r[1].w));
    results[i][1] = face_flux(l, rr, g, h_dry);
    let m = apply_manning(l.x, l.y, l.z, g_n2, dt, h_dry);
    results[i][2] = vec4<f32>(manning_factor(r[5].x, r[5].y, g_n2, dt), minmod(r[1].z, r[1].w), m);
    let lr = vec4<f32>(l.x + l.w, rr.x + rr.w, l.w, rr.w);
    let q = face_discharge(vec3<f32>(l.y, l.z, rr.y), lr, g_n2, dt, r[5].z, 0.7, g, h_dry);
    results[i][3] = vec4<f32>(
        fv_rate(l.x, l.y, l.z, r[5].z, r[5].w, g, h_dry),
        inertial_rate(l.x, max(r[5].z, r[5].w), g, h_dry),
        q,
        outflow_scale(l.x, rr.x),
    );
}
"#;

/// Names of the outputs, in the kernel's order.
const NAMES: [[&str; 4]; OUT] = [
    ["hllc.mass", "hllc.mom", "hllc.tan", "limited_slope"],
    [
        "face_flux.mass",
        "face_flux.mom_l",
        "face_flux.mom_r",
        "face_flux.tan",
    ],
    [
        "manning_factor",
        "minmod",
        "apply_manning.qx",
        "apply_manning.qy",
    ],
    [
        "fv_rate",
        "inertial_rate",
        "face_discharge",
        "outflow_scale",
    ],
];

/// One case: the two cells as (h, u, v, z), and the limiter's differences (a, b).
struct Case {
    what: &'static str,
    l: [f32; 4],
    r: [f32; 4],
    ab: [f32; 2],
}

const fn case(what: &'static str, l: [f32; 4], r: [f32; 4], ab: [f32; 2]) -> Case {
    Case { what, l, r, ab }
}

/// The table: (h, u, v, z) left and right; rustfmt would spread each row over six lines.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    vec![
        case("wet/wet at rest", [1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [1.0, 2.0]),
        case("lake at rest over a step", [2.0, 0.0, 0.0, 1.0], [0.5, 0.0, 0.0, 2.5], [-1.0, -0.5]),
        case("wet/wet subcritical", [1.5, 0.8, -0.3, 0.2], [1.2, 0.5, 0.1, 0.2], [-1.0, 2.0]),
        case("dam break", [8.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 2.0]),
        case("dam break, mirrored", [1.0, 0.0, 0.0, 0.0], [8.0, 0.0, 0.0, 0.0], [0.3, 0.31]),
        case("wet/dry", [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [1e-7, 3.0]),
        case("dry/wet", [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [5.0, 1e-8]),
        case("wet front running onto dry", [0.5, 2.0, 0.2, 0.0], [0.0, 0.0, 0.0, 0.0], [-3.0, -3.0]),
        case("water against a dry bank", [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 5.0], [2.0, -2.0]),
        case("dry/dry", [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0]),
        case("dry/dry, beds apart", [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 3.0], [1.3, 1.0]),
        case("supercritical to the right", [1.0, 10.0, 0.0, 0.0], [0.5, 10.0, 0.0, 0.0], [0.1, 0.7]),
        case("supercritical to the left", [1.0, -10.0, 0.5, 0.0], [0.5, -12.0, 0.0, 0.0], [-0.7, -0.1]),
        case("supercritical, colliding", [1.0, 10.0, 0.0, 0.0], [1.0, -10.0, 0.0, 0.0], [1e-3, 1e3]),
        case("supercritical, separating", [1.0, -10.0, 0.0, 0.0], [1.0, 10.0, 0.0, 0.0], [-1e3, -1e-3]),
        case("transcritical", [1.0, 3.5, 0.0, 0.0], [1.0, 2.5, 0.0, 0.0], [0.25, 0.75]),
        case("zero depth, residual discharge", [0.0, 1e-4, 0.0, 0.0], [1.0, 0.2, 0.0, 0.0], [4.0, 4.0]),
        case("tiny depth below the dry depth", [5e-7, 0.1, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [1e-6, 2e-6]),
        case("tiny depths above the dry depth", [2e-6, 0.3, 0.1, 0.0], [3e-6, -0.2, 0.0, 0.0], [2e-6, 1e-6]),
        case("both at the dry depth", [1e-6, 0.5, 0.0, 0.0], [1e-6, -0.5, 0.0, 0.0], [-2e-6, 1e-6]),
        case("a film against deep water", [1e-5, 0.0, 0.0, 0.0], [10.0, 1.0, 0.0, 0.0], [7.0, 0.001]),
        case("1e-30 m of water", [1e-30, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [1e-30, 1.0]),
        case("large velocities", [2.0, 50.0, -20.0, 0.0], [3.0, -45.0, 30.0, 0.0], [40.0, 45.0]),
        case("deep water", [100.0, 3.0, 1.0, -50.0], [90.0, -2.0, 0.0, -40.0], [-10.0, 10.0]),
        case("250 m above the datum", [0.3, 0.2, 0.0, 250.0], [0.25, 0.1, 0.0, 250.02], [0.02, 0.03]),
        case("mirror state (a wall)", [1.3, 0.7, 0.1, 0.0], [1.3, -0.7, 0.1, 0.0], [-0.5, 0.5]),
        case("subcritical to the left", [2.0, -0.5, 0.3, 0.1], [1.8, -0.7, -0.2, 0.0], [0.2, 0.2]),
        case("flow up a step", [1.0, 1.0, 0.0, 0.0], [0.5, 1.0, 0.0, 0.6], [1.0, 1.3]),
        case("uniform flow", [1.5, 0.8, -0.3, 0.2], [1.5, 0.8, -0.3, 0.2], [0.0, 0.0]),
        case("surface below the right bed", [1.0, 0.0, 0.0, 0.0], [0.2, 0.0, 0.0, 0.9], [3.0, 1.0]),
        case("wet/wet, mild flow to the left", [0.05, -0.3, 0.02, 1.0], [0.07, -0.1, 0.0, 0.99], [-0.01, 0.02]),
    ]
}

/// (g, h_dry, dt, n) of row `k`: Manning's n from none to very rough, time steps from short to
/// far beyond the friction time.
fn run_constants(k: usize) -> (f32, f32, f32, f32) {
    let n = [0.0, 0.01, 0.03, 0.1][k % 4];
    let dt = [0.01, 1.0, 10.0, 100.0][(k / 4) % 4];
    (9.81, 1e-6, dt, n)
}

/// Distance in ulps between two f32 (0 for equal values, +0 and -0 alike).
fn ulps(a: f32, b: f32) -> u64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0;
    }
    if a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    let ordered = |x: f32| {
        let i = x.to_bits() as i32;
        i64::from(if i < 0 { i32::MIN.wrapping_sub(i) } else { i })
    };
    ordered(a).abs_diff(ordered(b))
}

/// The Rust results of one row, in the kernel's layout, and the inputs.
fn rust_row(c: &Case, k: usize) -> ([[f32; 4]; IN], [[f32; 4]; OUT]) {
    let (g, h_dry, dt, n) = run_constants(k);
    let g_n2 = g * n * n;
    let state = |s: [f32; 4]| CellState {
        h: s[0],
        qn: s[0] * s[1],
        qt: s[0] * s[2],
        z: s[3],
    };
    let (l, r) = (state(c.l), state(c.r));
    let (ul, vl) = (velocity(l.h, l.qn, h_dry), velocity(l.h, l.qt, h_dry));
    let (ur, vr) = (velocity(r.h, r.qn, h_dry), velocity(r.h, r.qt, h_dry));
    let h_fric = if l.h > h_dry { l.h } else { 1.0 };
    let q_abs = l.qn.abs() + 10.0 * (k as f32);
    let (inv_dx, inv_dy) = (1.0 / 10.0f32, 1.0 / 2.5f32);
    let inp = [
        [l.h, ul, vl, r.h],
        [ur, vr, c.ab[0], c.ab[1]],
        [l.h, l.qn, l.qt, l.z],
        [r.h, r.qn, r.qt, r.z],
        [g, h_dry, dt, g_n2],
        [h_fric, q_abs, inv_dx, inv_dy],
    ];
    let p = Params { g, h_dry };
    let f = riemann::hllc(l.h, ul, vl, r.h, ur, vr, g);
    let ff = fv1::face_flux(l, r, p);
    let (mx, my) = friction::apply_manning(l.h, l.qn, l.qt, g_n2, dt, h_dry);
    let q = inertial::face_discharge(
        inertial::FaceInput {
            q: l.qn,
            q_behind: l.qt,
            q_ahead: r.qn,
            eta_l: l.h + l.z,
            eta_r: r.h + r.z,
            z_l: l.z,
            z_r: r.z,
            g_n2,
        },
        dt,
        inv_dx,
        0.7,
        g,
        h_dry,
    );
    let out = [
        [
            f[0],
            f[1],
            f[2],
            reconstruction::limited_slope(c.ab[0], c.ab[1]),
        ],
        [ff.mass, ff.mom_l, ff.mom_r, ff.tan],
        [
            friction::manning_factor(h_fric, q_abs, g_n2, dt),
            reconstruction::minmod(c.ab[0], c.ab[1]),
            mx,
            my,
        ],
        [
            cfl::fv_rate(l.h, l.qn, l.qt, inv_dx, inv_dy, g, h_dry),
            cfl::inertial_rate(l.h, inv_dx.max(inv_dy), g, h_dry),
            q,
            inertial::outflow_scale(l.h, r.h),
        ],
    ];
    (inp, out)
}

/// Runs the kernel on the rows (blocking).
fn run_gpu(ctx: &GpuContext, rows: &[[[f32; 4]; IN]]) -> Vec<[[f32; 4]; OUT]> {
    let dev = &ctx.device;
    let src = format!("{}\n{KERNEL}", basintwin_gpu::shaders::numerics_source());
    let module = dev.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("pointwise"),
        source: wgpu::ShaderSource::Wgsl(src.into()),
    });
    let pipeline = dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("pointwise eval"),
        layout: None,
        module: &module,
        entry_point: Some("eval"),
        compilation_options: wgpu::PipelineCompilationOptions::default(),
        cache: None,
    });
    let input = dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("pointwise rows"),
        contents: bytemuck::cast_slice(rows),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let bytes = (rows.len() * OUT * 16) as u64;
    let output = dev.create_buffer(&wgpu::BufferDescriptor {
        label: Some("pointwise results"),
        size: bytes,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let staging = dev.create_buffer(&wgpu::BufferDescriptor {
        label: Some("pointwise read-back"),
        size: bytes,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let bind_group = dev.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("pointwise bindings"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: input.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: output.as_entire_binding(),
            },
        ],
    });
    let mut enc = dev.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("pointwise"),
    });
    {
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("pointwise eval"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups((rows.len() as u32).div_ceil(64), 1, 1);
    }
    enc.copy_buffer_to_buffer(&output, 0, &staging, 0, bytes);
    ctx.queue.submit([enc.finish()]);
    let slice = staging.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    dev.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    rx.recv().unwrap().unwrap();
    let out = bytemuck::pod_collect_to_vec(&slice.get_mapped_range());
    staging.unmap();
    out
}

/// Largest ulp distance allowed per output (see the module doc and the comments). Everything
/// else must be bitwise equal.
fn allowed_ulps(name: &str) -> u64 {
    match name {
        // pow vs Newton cube root inside h^(7/3), then through 1 + sqrt(1 + 4B|q|).
        "manning_factor" | "apply_manning.qx" | "apply_manning.qy" | "face_discharge" => 4,
        _ => 0,
    }
}

#[test]
fn wgsl_numerics_match_the_rust_numerics() {
    let Some(ctx) = context() else {
        return;
    };
    let cases = cases();
    assert!(cases.len() >= 30);
    let (inputs, expected): (Vec<_>, Vec<_>) = cases
        .iter()
        .enumerate()
        .map(|(k, c)| rust_row(c, k))
        .unzip();
    let got = run_gpu(&ctx, &inputs);
    println!("adapter: {}", basintwin_gpu::context::describe(&ctx.info));
    let mut worst: Vec<(u64, &str, &str)> = Vec::new();
    let mut failures = Vec::new();
    for (k, c) in cases.iter().enumerate() {
        for (o, names) in NAMES.iter().enumerate() {
            for (m, name) in names.iter().enumerate() {
                let (want, have) = (expected[k][o][m], got[k][o][m]);
                let d = ulps(want, have);
                if d > 0 {
                    println!(
                        "row {k} ({}) {name}: rust {want:e} wgsl {have:e}, {d} ulp",
                        c.what
                    );
                }
                match worst.iter_mut().find(|w| w.1 == *name) {
                    Some(w) if d > w.0 => *w = (d, name, c.what),
                    Some(_) => {}
                    None => worst.push((d, name, c.what)),
                }
                if d > allowed_ulps(name) {
                    failures.push(format!(
                        "row {k} ({}) {name}: rust {want:e} wgsl {have:e}: {d} ulp (allowed {})",
                        c.what,
                        allowed_ulps(name)
                    ));
                }
            }
        }
    }
    for (d, name, what) in &worst {
        if *d == 0 {
            println!("{name}: bitwise equal on every row");
        } else {
            println!("{name}: largest difference {d} ulp ({what})");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
