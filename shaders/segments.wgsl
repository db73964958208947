// segments.wgsl — Rust twin: `engine/core/src/cpu/segments.rs` (`update_segments`) and
// `engine/core/src/cpu/tracking.rs` (`book_trackers`).
//
// Inflow and stage boundary segments, and cross-sections, shared by every scheme's module
// (which defines `segment_faces` and `face_unit_flow`):
//   segments        this step's values: an inflow hydrograph's mean discharge spread over the
//                   segment's wet faces by conveyance h^(5/3) (over its lowest faces, within
//                   `INFLOW_LOW_BAND_M` of the lowest bed, while it is dry), a stage
//                   hydrograph's level at mid-step
//   track_sections  the volume through each cross-section's faces in this step (or stage)

// Segment faces: (face index, cell, flags `SEG_FACE_Y` | `SEG_FACE_HIGH`, segment).
@group(0) @binding(26) var<storage, read> seg_faces: array<vec4<u32>>;
// Segments: (kind `SEG_INFLOW` or `SEG_STAGE`; series id; face length m; lowest bed of the
// segment).
@group(0) @binding(27) var<storage, read> seg_info: array<vec4<f32>>;
// This step's unit discharge into the domain per segment face (m^2/s), then each segment's
// stage (m) at n_seg_faces + segment.
@group(0) @binding(28) var<storage, read_write> seg_q: array<f32>;
// Tracked faces: (face index, 1 = y face, section, bit pattern of the signed length m).
@group(0) @binding(29) var<storage, read> track_faces: array<vec4<u32>>;
// Volume through each section so far (m^3), compensated (hi, lo).
@group(0) @binding(30) var<storage, read_write> tracked: array<vec2<f32>>;

// Rust twin: `engine/core/src/cpu/segments.rs::CpuBackend::update_segments` — each segment's
// discharge per face or stage for this step.
@compute @workgroup_size(1)
fn segments() {
    let dt = control.dt;
    if dt <= 0.0 {
        return;
    }
    let t0 = control.elapsed;
    let t1 = t0 + dt;
    var first = 0u;
    for (var s = 0u; s < params.n_segments; s = s + 1u) {
        let info = seg_info[s];
        let id = u32(info.y);
        // The faces of a segment are contiguous in seg_faces.
        var last = first;
        loop {
            if last >= params.n_seg_faces || seg_faces[last].w != s {
                break;
            }
            last = last + 1u;
        }
        if u32(info.x) == SEG_INFLOW {
            let q_total = series_integral(id, t0, t1) / dt;
            var sum = 0.0;
            for (var f = first; f < last; f = f + 1u) {
                let d = h[seg_faces[f].y];
                if d > params.h_dry {
                    sum = sum + pow(d, 5.0 / 3.0);
                }
            }
            let dry = sum <= 0.0;
            if dry {
                for (var f = first; f < last; f = f + 1u) {
                    if z[seg_faces[f].y] <= info.w + INFLOW_LOW_BAND_M {
                        sum = sum + 1.0;
                    }
                }
            }
            for (var f = first; f < last; f = f + 1u) {
                let c = seg_faces[f].y;
                let d = h[c];
                var w = select(0.0, pow(max(d, 1e-30), 5.0 / 3.0), d > params.h_dry);
                if dry {
                    w = select(0.0, 1.0, z[c] <= info.w + INFLOW_LOW_BAND_M);
                }
                seg_q[f] = q_total * w / max(sum, 1e-30) / info.z;
            }
        } else {
            seg_q[params.n_seg_faces + s] = series_at(id, 0.5 * (t0 + t1));
        }
        first = last;
    }
}

// Rust twin: `engine/core/src/cpu/tracking.rs::CpuBackend::book_trackers` — the volume through each
// cross-section in this step (or stage), compensated.
@compute @workgroup_size(1)
fn track_sections() {
    let dt = control.dt;
    if dt <= 0.0 {
        return;
    }
    let w = dt / f32(params.rk_stages);
    var sec = 0u;
    var acc = 0.0;
    for (var i = 0u; i < params.n_track_faces; i = i + 1u) {
        let t = track_faces[i];
        if t.z != sec {
            tracked[sec] = two_sum_add(tracked[sec], acc * w);
            acc = 0.0;
            sec = t.z;
        }
        acc = acc + face_unit_flow(t.x, t.y != 0u) * bitcast<f32>(t.w);
    }
    if params.n_track_faces > 0u {
        tracked[sec] = two_sum_add(tracked[sec], acc * w);
    }
}
