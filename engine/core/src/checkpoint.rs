//! Full-precision checkpoints: everything a backend needs to continue a run exactly where it
//! stopped, so that a resumed run ends bitwise equal to an uninterrupted one.
//!
//! Snapshots (`snapshots.h5`) hold `f32` fields for maps and viewers and cannot give that: the
//! inertial scheme also carries discharges on faces, the time step depends on the last step's
//! wave speeds, and the ledger, maxima, cumulative infiltration and cross-section volumes are
//! sums over the whole run. A checkpoint stores all of them at the working precision.
//!
//! File layout (little-endian): the magic line `BASINTWIN-CHECKPOINT 1\n`, a `u64` header
//! length, a JSON header ([`Header`]), the arrays as `f64` in header order, and a trailing FNV-1a
//! 64-bit checksum over everything before it, so a truncated or damaged file is refused rather
//! than resumed from.

use crate::error::{CoreError, Result};
use crate::ledger::MassLedger;

const MAGIC: &[u8] = b"BASINTWIN-CHECKPOINT 1\n";

/// The scalar part of a checkpoint, stored as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub scheme: String,
    pub precision: String,
    pub nx: usize,
    pub ny: usize,
    /// Fingerprint of the bed, mask and roughness the run used ([`fingerprint`]); a resume on
    /// other terrain is refused.
    pub terrain_fingerprint: u64,
    pub time_s: f64,
    pub steps: u64,
    /// The CFL rate (1/s) the next time step is computed from.
    pub max_rate: f64,
    pub ledger: MassLedger,
    pub tracked_m3: Vec<f64>,
    /// Names and lengths of the arrays that follow, in order.
    pub arrays: Vec<(String, usize)>,
    /// Free-form data of the caller (the CLI keeps its gauge series here), opaque to the core.
    pub extra: String,
}

/// A backend's full state at a step boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub header: Header,
    /// `(name, values)`: `h`, `qx`, `qy`, the maxima, and scheme-specific fields (`qfx`, `qfy`
    /// for inertial, `infiltrated` with an infiltration model). Values of an `f32` run are
    /// stored exactly as `f64`.
    pub arrays: Vec<(String, Vec<f64>)>,
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// A fingerprint of terrain arrays (bit patterns of every value, in order).
pub fn fingerprint(parts: &[&[f64]]) -> u64 {
    let mut h = FNV_OFFSET;
    for p in parts {
        h = fnv1a(&(p.len() as u64).to_le_bytes(), h);
        for v in *p {
            h = fnv1a(&v.to_bits().to_le_bytes(), h);
        }
    }
    h
}

fn bad(detail: impl Into<String>) -> CoreError {
    CoreError::Invalid {
        what: "checkpoint",
        detail: detail.into(),
        expected: "a complete checkpoint written by this version of basintwin",
    }
}

impl Checkpoint {
    /// The array called `name`, if present.
    pub fn array(&self, name: &str) -> Option<&[f64]> {
        self.arrays
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Serialises to bytes (see the module documentation for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut header = self.header.clone();
        header.arrays = self
            .arrays
            .iter()
            .map(|(n, v)| (n.clone(), v.len()))
            .collect();
        // Serialising plain numbers, strings and vectors cannot fail.
        let json = serde_json_text(&header);
        let total: usize = self.arrays.iter().map(|(_, v)| v.len()).sum();
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + json.len() + 8 * total + 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(json.as_bytes());
        for (_, v) in &self.arrays {
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        let sum = fnv1a(&out, FNV_OFFSET);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Parses bytes written by [`Checkpoint::to_bytes`], checking the magic and the checksum.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < MAGIC.len() + 16 || !bytes.starts_with(MAGIC) {
            return Err(bad("not a basintwin checkpoint (wrong magic)"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let mut s = [0u8; 8];
        s.copy_from_slice(sum);
        if fnv1a(body, FNV_OFFSET) != u64::from_le_bytes(s) {
            return Err(bad("checksum mismatch: the file is truncated or damaged"));
        }
        let mut l = [0u8; 8];
        l.copy_from_slice(&body[MAGIC.len()..MAGIC.len() + 8]);
        let hlen = usize::try_from(u64::from_le_bytes(l)).map_err(|_| bad("header length"))?;
        let hstart = MAGIC.len() + 8;
        let hend = hstart
            .checked_add(hlen)
            .filter(|&e| e <= body.len())
            .ok_or_else(|| bad("header runs past the end"))?;
        let header: Header = serde_json_parse(&body[hstart..hend])?;
        let mut arrays = Vec::with_capacity(header.arrays.len());
        let mut pos = hend;
        for (name, n) in &header.arrays {
            let end = n
                .checked_mul(8)
                .and_then(|b| pos.checked_add(b))
                .filter(|&e| e <= body.len())
                .ok_or_else(|| bad(format!("array {name} runs past the end")))?;
            let v = body[pos..end]
                .chunks_exact(8)
                .map(|c| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    f64::from_le_bytes(b)
                })
                .collect();
            arrays.push((name.clone(), v));
            pos = end;
        }
        if pos != body.len() {
            return Err(bad("trailing bytes after the arrays"));
        }
        Ok(Self { header, arrays })
    }
}

/// The header as stored: every `f64` as its bit pattern, so that it round-trips exactly (JSON
/// numbers do not carry NaN, and decimal round trips depend on the parser).
#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    scheme: String,
    precision: String,
    nx: usize,
    ny: usize,
    terrain_fingerprint: u64,
    time_s: u64,
    steps: u64,
    max_rate: u64,
    /// The ledger's first eight terms in declaration order.
    ledger: [u64; 8],
    /// The ledger's assimilation term (absent from checkpoints written before it: 0).
    #[serde(default)]
    assimilation: u64,
    tracked_m3: Vec<u64>,
    arrays: Vec<(String, usize)>,
    extra: String,
}

fn serde_json_text(h: &Header) -> String {
    let l = &h.ledger;
    let w = Wire {
        scheme: h.scheme.clone(),
        precision: h.precision.clone(),
        nx: h.nx,
        ny: h.ny,
        terrain_fingerprint: h.terrain_fingerprint,
        time_s: h.time_s.to_bits(),
        steps: h.steps,
        max_rate: h.max_rate.to_bits(),
        ledger: [
            l.volume_initial_m3,
            l.volume_m3,
            l.boundary_inflow_m3,
            l.boundary_outflow_m3,
            l.source_inflow_m3,
            l.rain_m3,
            l.infiltration_m3,
            l.positivity_correction_m3,
        ]
        .map(f64::to_bits),
        assimilation: l.assimilation_m3.to_bits(),
        tracked_m3: h.tracked_m3.iter().map(|x| x.to_bits()).collect(),
        arrays: h.arrays.clone(),
        extra: h.extra.clone(),
    };
    // Strings, integers and vectors of them always serialise.
    serde_json::to_string(&w).unwrap_or_default()
}

fn serde_json_parse(b: &[u8]) -> Result<Header> {
    let w: Wire = serde_json::from_slice(b).map_err(|e| bad(format!("header: {e}")))?;
    let l = w.ledger.map(f64::from_bits);
    Ok(Header {
        scheme: w.scheme,
        precision: w.precision,
        nx: w.nx,
        ny: w.ny,
        terrain_fingerprint: w.terrain_fingerprint,
        time_s: f64::from_bits(w.time_s),
        steps: w.steps,
        max_rate: f64::from_bits(w.max_rate),
        ledger: MassLedger {
            volume_initial_m3: l[0],
            volume_m3: l[1],
            boundary_inflow_m3: l[2],
            boundary_outflow_m3: l[3],
            source_inflow_m3: l[4],
            rain_m3: l[5],
            infiltration_m3: l[6],
            positivity_correction_m3: l[7],
            assimilation_m3: f64::from_bits(w.assimilation),
        },
        tracked_m3: w.tracked_m3.into_iter().map(f64::from_bits).collect(),
        arrays: w.arrays,
        extra: w.extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            header: Header {
                scheme: "fv1".into(),
                precision: "f64".into(),
                nx: 3,
                ny: 1,
                terrain_fingerprint: fingerprint(&[&[1.0, 2.0, f64::NAN]]),
                time_s: 0.1 + 0.2,
                steps: 17,
                max_rate: 1.0 / 3.0,
                ledger: MassLedger {
                    volume_initial_m3: 1.5,
                    volume_m3: std::f64::consts::PI,
                    rain_m3: 1e-300,
                    assimilation_m3: -0.125,
                    ..MassLedger::default()
                },
                tracked_m3: vec![-0.0, 2.5e10],
                arrays: Vec::new(),
                extra: "{\"g\":[1,2],\n\"name\":\"br\\u00fccke\u{1F30A}\"}".into(),
            },
            arrays: vec![
                ("h".into(), vec![0.0, 1e-17, f64::MIN_POSITIVE]),
                ("arrival_s".into(), vec![f64::NAN, 3.0, f64::INFINITY]),
                ("empty".into(), vec![]),
            ],
        }
    }

    #[test]
    fn round_trip_is_bitwise() {
        let c = sample();
        let back = Checkpoint::from_bytes(&c.to_bytes()).unwrap();
        assert_eq!(back.header.extra, c.header.extra);
        assert_eq!(back.header.time_s.to_bits(), c.header.time_s.to_bits());
        assert_eq!(back.header.ledger, c.header.ledger);
        assert_eq!(back.header.tracked_m3[0].to_bits(), (-0.0f64).to_bits());
        for ((n0, v0), (n1, v1)) in c.arrays.iter().zip(&back.arrays) {
            assert_eq!(n0, n1);
            let b0: Vec<u64> = v0.iter().map(|x| x.to_bits()).collect();
            let b1: Vec<u64> = v1.iter().map(|x| x.to_bits()).collect();
            assert_eq!(b0, b1);
        }
    }

    #[test]
    fn damage_is_detected() {
        let bytes = sample().to_bytes();
        assert!(Checkpoint::from_bytes(&bytes[..bytes.len() - 9]).is_err());
        let mut flipped = bytes.clone();
        let k = flipped.len() / 2;
        flipped[k] ^= 1;
        assert!(Checkpoint::from_bytes(&flipped).is_err());
        assert!(Checkpoint::from_bytes(b"hello").is_err());
        assert_ne!(
            fingerprint(&[&[1.0]]),
            fingerprint(&[&[1.0 + f64::EPSILON]])
        );
    }
}
